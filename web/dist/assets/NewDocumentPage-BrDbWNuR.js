import{A as e,E as t,d as n,k as r,l as i,p as a,w as o,x as s,y as c}from"./index-BZ2q009S.js";import{n as l,t as u}from"./DocumentForm-CuxWaH-5.js";var d=e(r(),1),f=a(),p=c(`
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
`);function m(){i(`New document`);let[e,r]=(0,d.useState)({title:``,body:``,tags:``}),[a,c]=s(p),m=t();return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`new-document-title`,children:[(0,f.jsx)(`p`,{children:(0,f.jsx)(o,{to:`/documents`,children:`← Documents`})}),(0,f.jsx)(`h1`,{id:`new-document-title`,children:`New document`}),(0,f.jsx)(u,{draft:e,onChange:r,onSubmit:async()=>{let t=await c({input:{title:e.title,body:e.body,tags:l(e.tags)}});t.data&&m(`/documents/${t.data.createDocument.id}`,{replace:!0})},busy:a.fetching,submitLabel:`Create`,children:a.error&&(0,f.jsx)(n,{error:a.error})})]})}export{m as NewDocumentPage};