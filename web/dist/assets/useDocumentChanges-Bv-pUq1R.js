import{_ as e,b as t,g as n,h as r,w as i}from"./index-Db-enYTQ.js";var a=t(`
  subscription DocumentChanged {
    documentChanged {
      id
      title
      tags
      ownerId
      owner {
        id
        name
      }
      updatedAt
      sharedWithViewer
    }
  }
`),o=t(`
  subscription DocumentDeleted {
    documentDeleted {
      ...DeletedDocumentFields
    }
  }
`);function s(e=[],t){let n=t.documentChanged;return n?[n,...e.filter(e=>e.id!==n.id)]:[...e]}function c(e=[],t){let n=t.documentDeleted;return n?[n,...e.filter(e=>e.id!==n.id)]:[...e]}function l(t,n=!0){let[{data:r,error:a},s]=i({query:o,pause:!n},c);return e(a,s,t),r??f}function u(t){let[{data:o,error:c},u]=i({query:a},s);r(o,t),e(c,u,t);let f=l(t);n(f.length>0?f:void 0,t);let p=new Set(f.map(e=>e.id));return{changed:(o??d).filter(e=>!p.has(e.id)),deleted:p}}var d=[],f=[];export{l as n,u as t};