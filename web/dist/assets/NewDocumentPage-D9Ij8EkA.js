import{b as e,f as t,g as n,i as r,l as i,m as a,o,u as s,y as c}from"./index-vpsHydOs.js";import{n as l,t as u}from"./DocumentForm-s-ZzLfzi.js";var d=e(c(),1),f=i(),p=s(`
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
`);function m(){r(`New document`);let[e,i]=(0,d.useState)({title:``,body:``,tags:``}),[s,c]=t(p),m=n();return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`new-document-title`,children:[(0,f.jsx)(`p`,{children:(0,f.jsx)(a,{to:`/documents`,children:`← Documents`})}),(0,f.jsx)(`h1`,{id:`new-document-title`,children:`New document`}),(0,f.jsx)(u,{draft:e,onChange:i,onSubmit:async()=>{let t=await c({input:{title:e.title,body:e.body,tags:l(e.tags)}});t.data&&m(`/documents/${t.data.createDocument.id}`,{replace:!0})},busy:s.fetching,submitLabel:`Create`,children:s.error&&(0,f.jsx)(o,{error:s.error})})]})}export{m as NewDocumentPage};