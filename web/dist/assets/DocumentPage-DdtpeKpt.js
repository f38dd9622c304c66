import{C as e,E as t,O as n,T as r,a as i,b as a,c as o,d as s,k as c,l,m as u,p as d,v as f,x as p}from"./index-whGYD6Ig.js";import{t as m}from"./queries-HHS9rQtY.js";var h=c(n(),1),g=u(),_=f(`
  mutation DeleteDocument($id: ID!, $expectedVersion: Int) {
    deleteDocument(id: $id, expectedVersion: $expectedVersion)
  }
`);function v({id:e,version:t,title:n}){let[i,o]=(0,h.useState)(!1),[c,l]=a(_),u=r();return i?(0,g.jsxs)(`div`,{className:`confirm`,role:`group`,"aria-label":`Confirm deletion`,children:[(0,g.jsxs)(`p`,{children:[`Delete “`,n,`” for everyone? This cannot be undone.`]}),(0,g.jsx)(`button`,{type:`button`,className:`button danger`,onClick:async()=>{(await l({id:e,expectedVersion:t})).error||u(`/documents`,{replace:!0,state:{notice:`Deleted “${n}”.`}})},disabled:c.fetching,autoFocus:!0,children:`Yes, delete it`}),(0,g.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>o(!1),children:`Keep it`}),c.error&&(0,g.jsx)(s,{error:c.error})]}):(0,g.jsx)(`button`,{type:`button`,className:`button danger`,onClick:()=>o(!0),children:`Delete`})}var y=f(`
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
`),b=f(`
  query Groups {
    groups {
      id
      name
    }
  }
`),x=f(`
  mutation ShareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    shareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`),S=f(`
  mutation UnshareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    unshareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`);function C({documentId:e,shares:t}){let[n,r]=(0,h.useState)(``),[c,l]=(0,h.useState)(``),[u,d]=(0,h.useState)(``),[f]=p({query:y,variables:{name:c},pause:!c}),[m]=p({query:b}),[_,v]=a(x),[C,w]=a(S),[T,E]=(0,h.useState)(``),D=e=>{e.preventDefault(),l(n.trim())},O=async(t,n)=>{E(``),(await v({id:e,...t})).error||E(`Shared with ${n}.`)},k=async(t,n)=>{E(``),(await w({id:e,...t})).error||E(`No longer shared with ${n}.`)},A=f.data?.employees.edges.map(e=>e.node)??[],j=m.data?.groups.find(e=>e.id===u)?.name??``;return(0,g.jsxs)(`section`,{className:`card`,"aria-labelledby":`share-title`,children:[(0,g.jsx)(`h2`,{id:`share-title`,children:`Sharing`}),t.length===0?(0,g.jsx)(o,{children:`Not shared with anyone.`}):(0,g.jsx)(`ul`,{className:`shares`,children:t.map(e=>{let t=e.employee?.name??e.group?.name??`someone`,n=e.employee?{employeeId:e.employee.id}:{groupId:e.group?.id};return(0,g.jsxs)(`li`,{children:[(0,g.jsxs)(`span`,{children:[t,e.group&&` (group)`,` `,(0,g.jsxs)(`span`,{className:`muted`,children:[`by `,e.sharedBy.name,`, `,i(e.sharedAt)]})]}),(0,g.jsxs)(`button`,{type:`button`,className:`button secondary small`,onClick:()=>k(n,t),children:[`Stop sharing with `,t]})]},`${e.employee?.id??``}:${e.group?.id??``}`)})}),(0,g.jsxs)(`form`,{className:`filters`,onSubmit:D,"aria-label":`Find an employee to share with`,children:[(0,g.jsxs)(`div`,{className:`field grow`,children:[(0,g.jsx)(`label`,{htmlFor:`share-employee`,children:`Share with an employee`}),(0,g.jsx)(`input`,{id:`share-employee`,type:`search`,placeholder:`Part of a name`,value:n,onChange:e=>r(e.target.value)})]}),(0,g.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),f.error&&(0,g.jsx)(s,{error:f.error}),c&&f.data&&A.length===0&&(0,g.jsxs)(o,{children:[`Nobody's name contains “`,c,`”.`]}),A.length>0&&(0,g.jsx)(`ul`,{className:`found`,children:A.map(e=>(0,g.jsxs)(`li`,{children:[(0,g.jsxs)(`span`,{children:[e.name,` `,(0,g.jsxs)(`span`,{className:`muted`,children:[e.title,` · `,e.email]})]}),(0,g.jsxs)(`button`,{type:`button`,className:`button small`,onClick:()=>O({employeeId:e.id},e.name),children:[`Share with `,e.name]})]},e.id))}),(0,g.jsxs)(`div`,{className:`filters`,children:[(0,g.jsxs)(`div`,{className:`field grow`,children:[(0,g.jsx)(`label`,{htmlFor:`share-group`,children:`Share with a group`}),(0,g.jsxs)(`select`,{id:`share-group`,value:u,onChange:e=>d(e.target.value),children:[(0,g.jsx)(`option`,{value:``,children:`Choose a group`}),m.data?.groups.map(e=>(0,g.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]}),(0,g.jsx)(`button`,{type:`button`,className:`button secondary`,disabled:!u,onClick:()=>O({groupId:u},j),children:`Share with group`})]}),_.error&&(0,g.jsx)(s,{error:_.error}),C.error&&(0,g.jsx)(s,{error:C.error}),T&&(0,g.jsx)(`p`,{className:`success`,role:`status`,children:T})]})}function w(){let{id:n=``}=t(),[{data:r,error:a},o]=p({query:m,variables:{id:n}}),c=r?.document;return l(c?.title??`Document`),a?(0,g.jsx)(s,{error:a,retry:()=>o({requestPolicy:`network-only`})}):r?c?(0,g.jsxs)(`article`,{className:`page document`,"aria-labelledby":`document-title`,children:[(0,g.jsx)(`p`,{children:(0,g.jsx)(e,{to:`/documents`,children:`← Documents`})}),(0,g.jsxs)(`div`,{className:`page-head`,children:[(0,g.jsx)(`h1`,{id:`document-title`,children:c.title}),(0,g.jsxs)(`div`,{className:`actions`,children:[(0,g.jsx)(e,{to:`/documents/${c.id}/edit`,className:`button`,children:`Edit`}),(0,g.jsx)(v,{id:c.id,version:c.version,title:c.title})]})]}),(0,g.jsxs)(`p`,{className:`meta`,children:[(0,g.jsxs)(`span`,{children:[`Owner: `,(0,g.jsx)(`strong`,{"data-testid":`document-owner`,children:c.owner.name})]}),(0,g.jsxs)(`span`,{children:[`Created by `,c.createdBy.name]}),(0,g.jsxs)(`span`,{children:[`Updated `,i(c.updatedAt)]}),(0,g.jsxs)(`span`,{children:[`Version `,c.version]})]}),c.tags.length>0&&(0,g.jsx)(`p`,{className:`meta`,children:c.tags.map(e=>(0,g.jsx)(`span`,{className:`tag`,children:e},e))}),(0,g.jsx)(`div`,{className:`document-body`,children:c.body}),(0,g.jsx)(C,{documentId:c.id,shares:c.sharedWith})]}):(0,g.jsxs)(`section`,{className:`page`,"aria-labelledby":`document-title`,children:[(0,g.jsx)(`h1`,{id:`document-title`,children:`Document not found`}),(0,g.jsxs)(`p`,{children:[`It does not exist, or you may not see it. `,(0,g.jsx)(e,{to:`/documents`,children:`Back to documents`})]})]}):(0,g.jsx)(d,{label:`Loading the document`})}export{w as DocumentPage};