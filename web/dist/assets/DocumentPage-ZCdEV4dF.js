import{A as e,C as t,D as n,O as r,S as i,T as a,a as o,b as s,c,d as l,f as u,j as d,l as f,m as p,p as m}from"./index-Db-enYTQ.js";import{t as h}from"./queries-DTFvx1ex.js";import{n as g}from"./useDocumentChanges-Bv-pUq1R.js";var _=d(e(),1),v=m(),y=s(`
  mutation DeleteDocument($id: ID!, $expectedVersion: Int) {
    deleteDocument(id: $id, expectedVersion: $expectedVersion)
  }
`);function b({id:e,version:t,title:r}){let[a,o]=(0,_.useState)(!1),[s,c]=i(y),u=n();return a?(0,v.jsxs)(`div`,{className:`confirm`,role:`group`,"aria-label":`Confirm deletion`,children:[(0,v.jsxs)(`p`,{children:[`Delete “`,r,`” for everyone? This cannot be undone.`]}),(0,v.jsx)(`button`,{type:`button`,className:`button danger`,onClick:async()=>{(await c({id:e,expectedVersion:t})).error||u(`/documents`,{replace:!0,state:{notice:`Deleted “${r}”.`}})},disabled:s.fetching,autoFocus:!0,children:`Yes, delete it`}),(0,v.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>o(!1),children:`Keep it`}),s.error&&(0,v.jsx)(l,{error:s.error})]}):(0,v.jsx)(`button`,{type:`button`,className:`button danger`,onClick:()=>o(!0),children:`Delete`})}var x=s(`
  query FindEmployees($name: String!) {
    employees(filter: { nameContains: $name }, first: 8) {
      edges {
        node {
          id
          name
          title
          email
        }
      }
    }
  }
`),S=s(`
  query Groups {
    groups {
      id
      name
    }
  }
`),C=s(`
  mutation ShareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    shareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`),w=s(`
  mutation UnshareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    unshareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`);function T({documentId:e,shares:n}){let[r,a]=(0,_.useState)(``),[s,u]=(0,_.useState)(``),[d,f]=(0,_.useState)(``),[p]=t({query:x,variables:{name:s},pause:!s}),[m]=t({query:S}),[h,g]=i(C),[y,b]=i(w),[T,E]=(0,_.useState)(``),D=e=>{e.preventDefault(),u(r.trim())},O=async(t,n)=>{E(``),(await g({id:e,...t})).error||E(`Shared with ${n}.`)},k=async(t,n)=>{E(``),(await b({id:e,...t})).error||E(`No longer shared with ${n}.`)},A=p.data?.employees.edges.map(e=>e.node)??[],j=m.data?.groups.find(e=>e.id===d)?.name??``;return(0,v.jsxs)(`section`,{className:`card`,"aria-labelledby":`share-title`,children:[(0,v.jsx)(`h2`,{id:`share-title`,children:`Sharing`}),n.length===0?(0,v.jsx)(c,{children:`Not shared with anyone.`}):(0,v.jsx)(`ul`,{className:`shares`,children:n.map(e=>{let t=e.employee?.name??e.group?.name??`someone`,n=e.employee?{employeeId:e.employee.id}:{groupId:e.group?.id};return(0,v.jsxs)(`li`,{children:[(0,v.jsxs)(`span`,{children:[t,e.group&&` (group)`,` `,(0,v.jsxs)(`span`,{className:`muted`,children:[`by `,e.sharedBy.name,`, `,o(e.sharedAt)]})]}),(0,v.jsxs)(`button`,{type:`button`,className:`button secondary small`,onClick:()=>k(n,t),children:[`Stop sharing with `,t]})]},`${e.employee?.id??``}:${e.group?.id??``}`)})}),(0,v.jsxs)(`form`,{className:`filters`,onSubmit:D,"aria-label":`Find an employee to share with`,children:[(0,v.jsxs)(`div`,{className:`field grow`,children:[(0,v.jsx)(`label`,{htmlFor:`share-employee`,children:`Share with an employee`}),(0,v.jsx)(`input`,{id:`share-employee`,type:`search`,placeholder:`Part of a name`,value:r,onChange:e=>a(e.target.value)})]}),(0,v.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),p.error&&(0,v.jsx)(l,{error:p.error}),s&&p.data&&A.length===0&&(0,v.jsxs)(c,{children:[`Nobody's name contains “`,s,`”.`]}),A.length>0&&(0,v.jsx)(`ul`,{className:`found`,children:A.map(e=>(0,v.jsxs)(`li`,{children:[(0,v.jsxs)(`span`,{children:[e.name,` `,(0,v.jsxs)(`span`,{className:`muted`,children:[e.title,` · `,e.email]})]}),(0,v.jsxs)(`button`,{type:`button`,className:`button small`,onClick:()=>O({employeeId:e.id},e.name),children:[`Share with `,e.name]})]},e.id))}),(0,v.jsxs)(`div`,{className:`filters`,children:[(0,v.jsxs)(`div`,{className:`field grow`,children:[(0,v.jsx)(`label`,{htmlFor:`share-group`,children:`Share with a group`}),(0,v.jsxs)(`select`,{id:`share-group`,value:d,onChange:e=>f(e.target.value),children:[(0,v.jsx)(`option`,{value:``,children:`Choose a group`}),m.data?.groups.map(e=>(0,v.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,v.jsx)(`button`,{type:`button`,className:`button secondary`,disabled:!d,onClick:()=>O({groupId:d},j),children:`Share with group`})]}),h.error&&(0,v.jsx)(l,{error:h.error}),y.error&&(0,v.jsx)(l,{error:y.error}),T&&(0,v.jsx)(`p`,{className:`success`,role:`status`,children:T})]})}function E(){let{id:e=``}=r(),[{data:n,error:i},s]=t({query:h,variables:{id:e}}),c=()=>s({requestPolicy:`network-only`}),d=g(c,!!n?.document).find(t=>t.id===e);p(c,!!n?.document);let m=n?.deletedDocument??d,_=m?null:n?.document;return f(m?`Deleted: ${m.title}`:_?.title??`Document`),m?(0,v.jsx)(D,{deletion:m}):i?(0,v.jsx)(l,{error:i,retry:c}):n?_?(0,v.jsxs)(`article`,{className:`page document`,"aria-labelledby":`document-title`,children:[(0,v.jsx)(`p`,{children:(0,v.jsx)(a,{to:`/documents`,children:`← Documents`})}),(0,v.jsxs)(`div`,{className:`page-head`,children:[(0,v.jsx)(`h1`,{id:`document-title`,children:_.title}),(0,v.jsxs)(`div`,{className:`actions`,children:[(0,v.jsx)(a,{to:`/documents/${_.id}/edit`,className:`button`,children:`Edit`}),(0,v.jsx)(b,{id:_.id,version:_.version,title:_.title})]})]}),(0,v.jsxs)(`p`,{className:`meta`,children:[(0,v.jsxs)(`span`,{children:[`Owner: `,(0,v.jsx)(`strong`,{"data-testid":`document-owner`,children:_.owner.name})]}),(0,v.jsxs)(`span`,{children:[`Created by `,_.createdBy.name]}),(0,v.jsxs)(`span`,{children:[`Updated `,o(_.updatedAt)]}),(0,v.jsxs)(`span`,{children:[`Version `,_.version]})]}),_.tags.length>0&&(0,v.jsx)(`p`,{className:`meta`,children:_.tags.map(e=>(0,v.jsx)(`span`,{className:`tag`,children:e},e))}),(0,v.jsx)(`div`,{className:`document-body`,children:_.body}),(0,v.jsx)(T,{documentId:_.id,shares:_.sharedWith})]}):(0,v.jsxs)(`section`,{className:`page`,"aria-labelledby":`document-title`,children:[(0,v.jsx)(`h1`,{id:`document-title`,children:`Document not found`}),(0,v.jsxs)(`p`,{children:[`It does not exist, or you may not see it. `,(0,v.jsx)(a,{to:`/documents`,children:`Back to documents`})]})]}):(0,v.jsx)(u,{label:`Loading the document`})}function D({deletion:e}){return(0,v.jsxs)(`section`,{className:`page`,"aria-labelledby":`document-title`,children:[(0,v.jsx)(`p`,{children:(0,v.jsx)(a,{to:`/documents`,children:`← Documents`})}),(0,v.jsx)(`h1`,{id:`document-title`,children:e.title}),(0,v.jsxs)(`p`,{className:`notice`,role:`alert`,"data-testid":`document-deleted`,children:[`This document was deleted by `,e.deletedBy.name,` on `,o(e.deletedAt),`.`]}),(0,v.jsxs)(`p`,{className:`meta`,children:[(0,v.jsxs)(`span`,{children:[`Owner: `,e.owner.name]}),(0,v.jsxs)(`span`,{children:[`Last version `,e.version]})]})]})}export{E as DocumentPage};