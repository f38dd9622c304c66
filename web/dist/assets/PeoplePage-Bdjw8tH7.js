import{O as e,c as t,d as n,k as r,l as i,m as a,p as o,v as s,x as c}from"./index-whGYD6Ig.js";var l=r(e(),1),u=a();s(`
  fragment OrgPerson on Employee {
    id
    name
    title
    department
    directReports {
      id
    }
  }
`);var d=s(`
  query DirectReports($id: ID!) {
    employee(id: $id) {
      id
      directReports {
        ...OrgPerson
      }
    }
  }
`);function f({person:e}){let[t,n]=(0,l.useState)(!1),r=e.directReports.length,i=`reports-of-${e.id}`;return(0,u.jsxs)(`li`,{className:`org-node`,children:[(0,u.jsxs)(`div`,{className:`org-person`,children:[r>0?(0,u.jsxs)(`button`,{type:`button`,className:`disclosure`,"aria-expanded":t,"aria-controls":t?i:void 0,onClick:()=>n(!t),children:[(0,u.jsx)(`span`,{"aria-hidden":`true`,children:t?`▾`:`▸`}),(0,u.jsxs)(`span`,{className:`visually-hidden`,children:[t?`Hide`:`Show`,` reports of`]}),` `,e.name]}):(0,u.jsx)(`span`,{className:`leaf`,children:e.name}),(0,u.jsxs)(`span`,{className:`muted`,children:[e.title,e.department&&` · ${e.department}`,r>0&&` · ${r} direct report${r===1?``:`s`}`]})]}),t&&(0,u.jsx)(p,{id:e.id,groupId:i})]})}function p({id:e,groupId:t}){let[{data:r,error:i}]=c({query:d,variables:{id:e}});if(i)return(0,u.jsx)(n,{error:i});if(!r)return(0,u.jsx)(o,{label:`Loading reports`});let a=r.employee?.directReports??[];return(0,u.jsx)(`ul`,{id:t,className:`org-level`,children:a.map(e=>(0,u.jsx)(f,{person:e},e.id))})}var m=s(`
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
`);function h(){i(`People`);let[{data:e,error:r}]=c({query:m}),a=e?.me;return(0,u.jsxs)(`section`,{className:`page`,"aria-labelledby":`people-title`,children:[(0,u.jsx)(`h1`,{id:`people-title`,children:`My reports`}),r?(0,u.jsx)(n,{error:r}):a?(0,u.jsxs)(u.Fragment,{children:[(0,u.jsxs)(`p`,{className:`muted`,children:[a.name,`, `,a.title,a.manager&&`, reporting to ${a.manager.name}`,`.`]}),a.directReports.length===0?(0,u.jsx)(t,{children:`Nobody reports to you.`}):(0,u.jsx)(`ul`,{className:`org-tree`,"aria-label":`Reports of ${a.name}`,children:a.directReports.map(e=>(0,u.jsx)(f,{person:e},e.id))})]}):(0,u.jsx)(o,{label:`Loading your org`})]})}export{h as PeoplePage};