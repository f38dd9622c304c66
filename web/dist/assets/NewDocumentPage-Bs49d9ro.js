import{D as e,O as t,S as n,_ as r,d as i,l as a,m as o,w as s,y as c}from"./index-CXhbPSbT.js";import{n as l,t as u}from"./DocumentForm-BKM_0LsO.js";var d=t(e(),1),f=o(),p=r(`
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
`);function m(){a(`New document`);let[e,t]=(0,d.useState)({title:``,body:``,tags:``}),[r,o]=c(p),m=s();return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`new-document-title`,children:[(0,f.jsx)(`p`,{children:(0,f.jsx)(n,{to:`/documents`,children:`← Documents`})}),(0,f.jsx)(`h1`,{id:`new-document-title`,children:`New document`}),(0,f.jsx)(u,{draft:e,onChange:t,onSubmit:async()=>{let t=await o({input:{title:e.title,body:e.body,tags:l(e.tags)}});t.data&&m(`/documents/${t.data.createDocument.id}`,{replace:!0})},busy:r.fetching,submitLabel:`Create`,children:r.error&&(0,f.jsx)(i,{error:r.error})})]})}export{m as NewDocumentPage};