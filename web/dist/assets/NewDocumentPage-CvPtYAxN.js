import{C as e,O as t,T as n,b as r,d as i,k as a,l as o,m as s,v as c}from"./index-whGYD6Ig.js";import{n as l,t as u}from"./DocumentForm-zTPyIxJS.js";var d=a(t(),1),f=s(),p=c(`
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
`);function m(){o(`New document`);let[t,a]=(0,d.useState)({title:``,body:``,tags:``}),[s,c]=r(p),m=n();return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`new-document-title`,children:[(0,f.jsx)(`p`,{children:(0,f.jsx)(e,{to:`/documents`,children:`← Documents`})}),(0,f.jsx)(`h1`,{id:`new-document-title`,children:`New document`}),(0,f.jsx)(u,{draft:t,onChange:a,onSubmit:async()=>{let e=await c({input:{title:t.title,body:t.body,tags:l(t.tags)}});e.data&&m(`/documents/${e.data.createDocument.id}`,{replace:!0})},busy:s.fetching,submitLabel:`Create`,children:s.error&&(0,f.jsx)(i,{error:s.error})})]})}export{m as NewDocumentPage};