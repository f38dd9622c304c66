import{D as e,O as t,_ as n,b as r,c as i,d as a,l as o,m as s,p as c}from"./index-CXhbPSbT.js";var l=t(e(),1),u=s();n(`
  fragment OrgPerson on Employee {
    id
    name
    title
    department
    directReports {
      id
    }
  }
`);var d=n(`
  query DirectReports($id: ID!) {
    employee(id: $id) {
      id
      directReports {
        ...OrgPerson
      }
    }
  }
`);function f({person:e}){let[t,n]=(0,l.useState)(!1),r=e.directReports.length,i=`reports-of-${e.id}`;return(0,u.jsxs)(`li`,{className:`org-node`,children:[(0,u.jsxs)(`div`,{className:`org-person`,children:[r>0?(0,u.jsxs)(`button`,{type:`button`,className:`disclosure`,"aria-expanded":t,"aria-controls":t?i:void 0,onClick:()=>n(!t),children:[(0,u.jsx)(`span`,{"aria-hidden":`true`,children:t?`▾`:`▸`}),(0,u.jsxs)(`span`,{className:`visually-hidden`,children:[t?`Hide`:`Show`,` reports of`]}),` `,e.name]}):(0,u.jsx)(`span`,{className:`leaf`,children:e.name}),(0,u.jsxs)(`span`,{className:`muted`,children:[e.title,e.department&&` · ${e.department}`,r>0&&` · ${r} direct report${r===1?``:`s`}`]})]}),t&&(0,u.jsx)(p,{id:e.id,groupId:i})]})}function p({id:e,groupId:t}){let[{data:n,error:i}]=r({query:d,variables:{id:e}});if(i)return(0,u.jsx)(a,{error:i});if(!n)return(0,u.jsx)(c,{label:`Loading reports`});let o=n.employee?.directReports??[];return(0,u.jsx)(`ul`,{id:t,className:`org-level`,children:o.map(e=>(0,u.jsx)(f,{person:e},e.id))})}var m=n(`
  query MyOrg {
    me {
      id
      name
      title
      department
      manager {
        id
        name
      }
      directReports {
        ...OrgPerson
      }
    }
  }
`);function h(){o(`People`);let[{data:e,error:t}]=r({query:m}),n=e?.me;return(0,u.jsxs)(`section`,{className:`page`,"aria-labelledby":`people-title`,children:[(0,u.jsx)(`h1`,{id:`people-title`,children:`My reports`}),t?(0,u.jsx)(a,{error:t}):n?(0,u.jsxs)(u.Fragment,{children:[(0,u.jsxs)(`p`,{className:`muted`,children:[n.name,`, `,n.title,n.manager&&`, reporting to ${n.manager.name}`,`.`]}),n.directReports.length===0?(0,u.jsx)(i,{children:`Nobody reports to you.`}):(0,u.jsx)(`ul`,{className:`org-tree`,"aria-label":`Reports of ${n.name}`,children:n.directReports.map(e=>(0,u.jsx)(f,{person:e},e.id))})]}):(0,u.jsx)(c,{label:`Loading your org`})]})}export{h as PeoplePage};