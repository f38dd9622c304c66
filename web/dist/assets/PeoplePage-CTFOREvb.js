import{A as e,C as t,b as n,c as r,d as i,f as a,j as o,l as s,p as c}from"./index-Db-enYTQ.js";var l=o(e(),1),u=c();n(`
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
`);function f({person:e}){let[t,n]=(0,l.useState)(!1),r=e.directReports.length,i=`reports-of-${e.id}`;return(0,u.jsxs)(`li`,{className:`org-node`,children:[(0,u.jsxs)(`div`,{className:`org-person`,children:[r>0?(0,u.jsxs)(`button`,{type:`button`,className:`disclosure`,"aria-expanded":t,"aria-controls":t?i:void 0,onClick:()=>n(!t),children:[(0,u.jsx)(`span`,{"aria-hidden":`true`,children:t?`▾`:`▸`}),(0,u.jsxs)(`span`,{className:`visually-hidden`,children:[t?`Hide`:`Show`,` reports of`]}),` `,e.name]}):(0,u.jsx)(`span`,{className:`leaf`,children:e.name}),(0,u.jsxs)(`span`,{className:`muted`,children:[e.title,e.department&&` · ${e.department}`,r>0&&` · ${r} direct report${r===1?``:`s`}`]})]}),t&&(0,u.jsx)(p,{id:e.id,groupId:i})]})}function p({id:e,groupId:n}){let[{data:r,error:o}]=t({query:d,variables:{id:e}});if(o)return(0,u.jsx)(i,{error:o});if(!r)return(0,u.jsx)(a,{label:`Loading reports`});let s=r.employee?.directReports??[];return(0,u.jsx)(`ul`,{id:n,className:`org-level`,children:s.map(e=>(0,u.jsx)(f,{person:e},e.id))})}var m=n(`
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
`);function h(){s(`People`);let[{data:e,error:n}]=t({query:m}),o=e?.me;return(0,u.jsxs)(`section`,{className:`page`,"aria-labelledby":`people-title`,children:[(0,u.jsx)(`h1`,{id:`people-title`,children:`My reports`}),n?(0,u.jsx)(i,{error:n}):o?(0,u.jsxs)(u.Fragment,{children:[(0,u.jsxs)(`p`,{className:`muted`,children:[o.name,`, `,o.title,o.manager&&`, reporting to ${o.manager.name}`,`.`]}),o.directReports.length===0?(0,u.jsx)(r,{children:`Nobody reports to you.`}):(0,u.jsx)(`ul`,{className:`org-tree`,"aria-label":`Reports of ${o.name}`,children:o.directReports.map(e=>(0,u.jsx)(f,{person:e},e.id))})]}):(0,u.jsx)(a,{label:`Loading your org`})]})}export{h as PeoplePage};