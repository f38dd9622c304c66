import{T as e,_ as t,d as n,h as r,l as i,m as a,w as o,x as s,y as c}from"./index-CO-uFk0_.js";import{n as l,t as u}from"./DocumentForm-D2TMBLLP.js";var d=e(o(),1),f=a(),p=r(`
  mutation CreateDocument($input: CreateDocumentInput!) {
    createDocument(input: $input) {
      id
      title
      body
      tags
      version
      ownerId
      updatedAt
    }
  }
`);function m(){i(`New document`);let[e,r]=(0,d.useState)({title:``,body:``,tags:``}),[a,o]=t(p),m=s();return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`new-document-title`,children:[(0,f.jsx)(`p`,{children:(0,f.jsx)(c,{to:`/documents`,children:`← Documents`})}),(0,f.jsx)(`h1`,{id:`new-document-title`,children:`New document`}),(0,f.jsx)(u,{draft:e,onChange:r,onSubmit:async()=>{let t=await o({input:{title:e.title,body:e.body,tags:l(e.tags)}});t.data&&m(`/documents/${t.data.createDocument.id}`,{replace:!0})},busy:a.fetching,submitLabel:`Create`,children:a.error&&(0,f.jsx)(n,{error:a.error})})]})}export{m as NewDocumentPage};