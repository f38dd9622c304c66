import{A as e,D as t,S as n,T as r,b as i,d as a,j as o,l as s,p as c}from"./index-Db-enYTQ.js";import{n as l,t as u}from"./DocumentForm--gOP4etU.js";var d=o(e(),1),f=c(),p=i(`
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
`);function m(){s(`New document`);let[e,i]=(0,d.useState)({title:``,body:``,tags:``}),[o,c]=n(p),m=t();return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`new-document-title`,children:[(0,f.jsx)(`p`,{children:(0,f.jsx)(r,{to:`/documents`,children:`← Documents`})}),(0,f.jsx)(`h1`,{id:`new-document-title`,children:`New document`}),(0,f.jsx)(u,{draft:e,onChange:i,onSubmit:async()=>{let t=await c({input:{title:e.title,body:e.body,tags:l(e.tags)}});t.data&&m(`/documents/${t.data.createDocument.id}`,{replace:!0})},busy:o.fetching,submitLabel:`Create`,children:o.error&&(0,f.jsx)(a,{error:o.error})})]})}export{m as NewDocumentPage};