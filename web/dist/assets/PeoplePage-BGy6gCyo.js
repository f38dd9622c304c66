import{A as e,S as t,c as n,d as r,f as i,k as a,l as o,p as s,y as c}from"./index-BZ2q009S.js";var l=e(a(),1),u=s();c(`
  fragment OrgPerson on Employee {
    id
    name
    title
    department
    directReports {
      id
    }
  }
`);var d=c(`
  query DirectReports($id: ID!) {
    employee(id: $id) {
      id
      directReports {
        ...OrgPerson
      }
    }
  }
`);function f({person:e}){let[t,n]=(0,l.useState)(!1),r=e.directReports.length,i=`reports-of-${e.id}`;return(0,u.jsxs)(`li`,{className:`org-node`,children:[(0,u.jsxs)(`div`,{className:`org-person`,children:[r>0?(0,u.jsxs)(`button`,{type:`button`,className:`disclosure`,"aria-expanded":t,"aria-controls":t?i:void 0,onClick:()=>n(!t),children:[(0,u.jsx)(`span`,{"aria-hidden":`true`,children:t?`▾`:`▸`}),(0,u.jsxs)(`span`,{className:`visually-hidden`,children:[t?`Hide`:`Show`,` reports of`]}),` `,e.name]}):(0,u.jsx)(`span`,{className:`leaf`,children:e.name}),(0,u.jsxs)(`span`,{className:`muted`,children:[e.title,e.department&&` · ${e.department}`,r>0&&` · ${r} direct report${r===1?``:`s`}`]})]}),t&&(0,u.jsx)(p,{id:e.id,groupId:i})]})}function p({id:e,groupId:n}){let[{data:a,error:o}]=t({query:d,variables:{id:e}});if(o)return(0,u.jsx)(r,{error:o});if(!a)return(0,u.jsx)(i,{label:`Loading reports`});let s=a.employee?.directReports??[];return(0,u.jsx)(`ul`,{id:n,className:`org-level`,children:s.map(e=>(0,u.jsx)(f,{person:e},e.id))})}var m=c(`
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
`);function h(){o(`People`);let[{data:e,error:a}]=t({query:m}),s=e?.me;return(0,u.jsxs)(`section`,{className:`page`,"aria-labelledby":`people-title`,children:[(0,u.jsx)(`h1`,{id:`people-title`,children:`My reports`}),a?(0,u.jsx)(r,{error:a}):s?(0,u.jsxs)(u.Fragment,{children:[(0,u.jsxs)(`p`,{className:`muted`,children:[s.name,`, `,s.title,s.manager&&`, reporting to ${s.manager.name}`,`.`]}),s.directReports.length===0?(0,u.jsx)(n,{children:`Nobody reports to you.`}):(0,u.jsx)(`ul`,{className:`org-tree`,"aria-label":`Reports of ${s.name}`,children:s.directReports.map(e=>(0,u.jsx)(f,{person:e},e.id))})]}):(0,u.jsx)(i,{label:`Loading your org`})]})}export{h as PeoplePage};