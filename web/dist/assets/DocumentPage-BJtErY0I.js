import{A as e,D as t,E as n,S as r,a as i,c as a,d as o,f as s,k as c,l,p as u,w as d,x as f,y as p}from"./index-BZ2q009S.js";import{t as m}from"./queries-BCAhxOjk.js";var h=e(c(),1),g=u(),_=p(`
  mutation DeleteDocument($id: ID!, $expectedVersion: Int) {
    deleteDocument(id: $id, expectedVersion: $expectedVersion)
  }
`);function v({id:e,version:t,title:r}){let[i,a]=(0,h.useState)(!1),[s,c]=f(_),l=n();return i?(0,g.jsxs)(`div`,{className:`confirm`,role:`group`,"aria-label":`Confirm deletion`,children:[(0,g.jsxs)(`p`,{children:[`Delete “`,r,`” for everyone? This cannot be undone.`]}),(0,g.jsx)(`button`,{type:`button`,className:`button danger`,onClick:async()=>{(await c({id:e,expectedVersion:t})).error||l(`/documents`,{replace:!0,state:{notice:`Deleted “${r}”.`}})},disabled:s.fetching,autoFocus:!0,children:`Yes, delete it`}),(0,g.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>a(!1),children:`Keep it`}),s.error&&(0,g.jsx)(o,{error:s.error})]}):(0,g.jsx)(`button`,{type:`button`,className:`button danger`,onClick:()=>a(!0),children:`Delete`})}var y=p(`
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
`),b=p(`
  query Groups {
    groups {
      id
      name
    }
  }
`),x=p(`
  mutation ShareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    shareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`),S=p(`
  mutation UnshareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    unshareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`);function C({documentId:e,shares:t}){let[n,s]=(0,h.useState)(``),[c,l]=(0,h.useState)(``),[u,d]=(0,h.useState)(``),[p]=r({query:y,variables:{name:c},pause:!c}),[m]=r({query:b}),[_,v]=f(x),[C,w]=f(S),[T,E]=(0,h.useState)(``),D=e=>{e.preventDefault(),l(n.trim())},O=async(t,n)=>{E(``),(await v({id:e,...t})).error||E(`Shared with ${n}.`)},k=async(t,n)=>{E(``),(await w({id:e,...t})).error||E(`No longer shared with ${n}.`)},A=p.data?.employees.edges.map(e=>e.node)??[],j=m.data?.groups.find(e=>e.id===u)?.name??``;return(0,g.jsxs)(`section`,{className:`card`,"aria-labelledby":`share-title`,children:[(0,g.jsx)(`h2`,{id:`share-title`,children:`Sharing`}),t.length===0?(0,g.jsx)(a,{children:`Not shared with anyone.`}):(0,g.jsx)(`ul`,{className:`shares`,children:t.map(e=>{let t=e.employee?.name??e.group?.name??`someone`,n=e.employee?{employeeId:e.employee.id}:{groupId:e.group?.id};return(0,g.jsxs)(`li`,{children:[(0,g.jsxs)(`span`,{children:[t,e.group&&` (group)`,` `,(0,g.jsxs)(`span`,{className:`muted`,children:[`by `,e.sharedBy.name,`, `,i(e.sharedAt)]})]}),(0,g.jsxs)(`button`,{type:`button`,className:`button secondary small`,onClick:()=>k(n,t),children:[`Stop sharing with `,t]})]},`${e.employee?.id??``}:${e.group?.id??``}`)})}),(0,g.jsxs)(`form`,{className:`filters`,onSubmit:D,"aria-label":`Find an employee to share with`,children:[(0,g.jsxs)(`div`,{className:`field grow`,children:[(0,g.jsx)(`label`,{htmlFor:`share-employee`,children:`Share with an employee`}),(0,g.jsx)(`input`,{id:`share-employee`,type:`search`,placeholder:`Part of a name`,value:n,onChange:e=>s(e.target.value)})]}),(0,g.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),p.error&&(0,g.jsx)(o,{error:p.error}),c&&p.data&&A.length===0&&(0,g.jsxs)(a,{children:[`Nobody's name contains “`,c,`”.`]}),A.length>0&&(0,g.jsx)(`ul`,{className:`found`,children:A.map(e=>(0,g.jsxs)(`li`,{children:[(0,g.jsxs)(`span`,{children:[e.name,` `,(0,g.jsxs)(`span`,{className:`muted`,children:[e.title,` · `,e.email]})]}),(0,g.jsxs)(`button`,{type:`button`,className:`button small`,onClick:()=>O({employeeId:e.id},e.name),children:[`Share with `,e.name]})]},e.id))}),(0,g.jsxs)(`div`,{className:`filters`,children:[(0,g.jsxs)(`div`,{className:`field grow`,children:[(0,g.jsx)(`label`,{htmlFor:`share-group`,children:`Share with a group`}),(0,g.jsxs)(`select`,{id:`share-group`,value:u,onChange:e=>d(e.target.value),children:[(0,g.jsx)(`option`,{value:``,children:`Choose a group`}),m.data?.groups.map(e=>(0,g.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,g.jsx)(`button`,{type:`button`,className:`button secondary`,disabled:!u,onClick:()=>O({groupId:u},j),children:`Share with group`})]}),_.error&&(0,g.jsx)(o,{error:_.error}),C.error&&(0,g.jsx)(o,{error:C.error}),T&&(0,g.jsx)(`p`,{className:`success`,role:`status`,children:T})]})}function w(){let{id:e=``}=t(),[{data:n,error:a},c]=r({query:m,variables:{id:e}}),u=n?.document;return l(u?.title??`Document`),a?(0,g.jsx)(o,{error:a,retry:()=>c({requestPolicy:`network-only`})}):n?u?(0,g.jsxs)(`article`,{className:`page document`,"aria-labelledby":`document-title`,children:[(0,g.jsx)(`p`,{children:(0,g.jsx)(d,{to:`/documents`,children:`← Documents`})}),(0,g.jsxs)(`div`,{className:`page-head`,children:[(0,g.jsx)(`h1`,{id:`document-title`,children:u.title}),(0,g.jsxs)(`div`,{className:`actions`,children:[(0,g.jsx)(d,{to:`/documents/${u.id}/edit`,className:`button`,children:`Edit`}),(0,g.jsx)(v,{id:u.id,version:u.version,title:u.title})]})]}),(0,g.jsxs)(`p`,{className:`meta`,children:[(0,g.jsxs)(`span`,{children:[`Owner: `,(0,g.jsx)(`strong`,{"data-testid":`document-owner`,children:u.owner.name})]}),(0,g.jsxs)(`span`,{children:[`Created by `,u.createdBy.name]}),(0,g.jsxs)(`span`,{children:[`Updated `,i(u.updatedAt)]}),(0,g.jsxs)(`span`,{children:[`Version `,u.version]})]}),u.tags.length>0&&(0,g.jsx)(`p`,{className:`meta`,children:u.tags.map(e=>(0,g.jsx)(`span`,{className:`tag`,children:e},e))}),(0,g.jsx)(`div`,{className:`document-body`,children:u.body}),(0,g.jsx)(C,{documentId:u.id,shares:u.sharedWith})]}):(0,g.jsxs)(`section`,{className:`page`,"aria-labelledby":`document-title`,children:[(0,g.jsx)(`h1`,{id:`document-title`,children:`Document not found`}),(0,g.jsxs)(`p`,{children:[`It does not exist, or you may not see it. `,(0,g.jsx)(d,{to:`/documents`,children:`Back to documents`})]})]}):(0,g.jsx)(s,{label:`Loading the document`})}export{w as DocumentPage};