import{A as e,C as t,S as n,a as r,b as i,c as a,d as o,f as s,j as c,l,p as u}from"./index-Db-enYTQ.js";var d=c(e(),1),f=u(),p=i(`
  query PickEmployees($name: String!) {
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
`);function m({id:e,label:n,value:r,onChange:i}){let[s,c]=(0,d.useState)(``),[l,u]=(0,d.useState)(``),[m]=t({query:p,variables:{name:l},pause:!l}),h=m.data?.employees.edges.map(e=>e.node)??[];if(r)return(0,f.jsxs)(`p`,{className:`picked`,children:[(0,f.jsxs)(`span`,{children:[n,`: `,(0,f.jsx)(`strong`,{"data-testid":`${e}-chosen`,children:r.name}),` `,(0,f.jsx)(`span`,{className:`muted`,children:r.email})]}),` `,(0,f.jsxs)(`button`,{type:`button`,className:`button secondary small`,onClick:()=>i(null),children:[`Choose someone else as `,n.toLowerCase()]})]});let g=e=>{e.preventDefault(),u(s.trim())};return(0,f.jsxs)(`div`,{className:`stack`,children:[(0,f.jsxs)(`div`,{className:`filters`,children:[(0,f.jsxs)(`div`,{className:`field grow`,children:[(0,f.jsx)(`label`,{htmlFor:`${e}-name`,children:n}),(0,f.jsx)(`input`,{id:`${e}-name`,type:`search`,placeholder:`Part of a name`,value:s,onChange:e=>c(e.target.value),onKeyDown:e=>{e.key===`Enter`&&g(e)}})]}),(0,f.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:g,"aria-label":`Find ${n.toLowerCase()}`,children:`Find`})]}),m.error&&(0,f.jsx)(o,{error:m.error}),l&&m.data&&h.length===0&&(0,f.jsxs)(a,{children:[`Nobody's name contains “`,l,`”.`]}),h.length>0&&(0,f.jsx)(`ul`,{className:`found`,"aria-label":`Matches for ${n.toLowerCase()}`,children:h.map(e=>(0,f.jsxs)(`li`,{children:[(0,f.jsxs)(`span`,{children:[e.name,` `,(0,f.jsxs)(`span`,{className:`muted`,children:[e.title,` · `,e.email]})]}),(0,f.jsxs)(`button`,{type:`button`,className:`button secondary small`,onClick:()=>i({id:e.id,name:e.name,email:e.email}),children:[`Choose `,e.name]})]},e.id))})]})}i(`
  fragment GrantFields on Grant {
    id
    granteeEmployee {
      id
      name
      email
    }
    granteeGroup {
      id
      name
    }
    targetEmployee {
      id
      name
      email
    }
    targetGroup {
      id
      name
    }
    includeReports
    expiresAt
  }
`);var h=i(`
  query AllGrants {
    grants(all: true) {
      ...GrantFields
    }
    groups {
      id
      name
    }
  }
`),g=i(`
  mutation CreateGrant($input: GrantInput!) {
    createGrant(input: $input) {
      ...GrantFields
    }
  }
`),_=i(`
  mutation RevokeGrant($id: ID!) {
    revokeGrant(id: $id)
  }
`);function v(e){return e.granteeEmployee?.name??(e.granteeGroup?`Everyone in ${e.granteeGroup.name}`:`Nobody`)}function y(e){return e.targetEmployee?`${e.targetEmployee.name}'s documents${e.includeReports?` and those of everyone below them`:``}`:e.targetGroup?`the documents of everyone in ${e.targetGroup.name}`:`no documents`}function b(){l(`Grants`);let[{data:e,error:n},r]=t({query:h,requestPolicy:`cache-and-network`}),[i,c]=(0,d.useState)(``),[u,p]=(0,d.useState)(0);if(n&&!e)return(0,f.jsx)(o,{error:n,retry:()=>r({requestPolicy:`network-only`})});if(!e)return(0,f.jsx)(s,{label:`Loading the grants`});let{grants:m,groups:g}=e;return(0,f.jsxs)(`section`,{className:`page`,"aria-labelledby":`grants-title`,children:[(0,f.jsx)(`h1`,{id:`grants-title`,children:`Grants`}),(0,f.jsx)(`p`,{children:`A grant lets an employee, or everyone in a group, see documents they would not see through the org chart: those of one employee (and, if chosen, everyone below them) or of everyone in a group.`}),i&&(0,f.jsx)(`p`,{className:`success`,role:`status`,children:i}),(0,f.jsxs)(`div`,{className:`columns`,children:[(0,f.jsxs)(`section`,{"aria-labelledby":`grant-list-title`,children:[(0,f.jsx)(`h2`,{id:`grant-list-title`,children:m.length===1?`1 grant`:`${m.length} grants`}),m.length===0?(0,f.jsx)(a,{children:`Nobody has been granted anything.`}):(0,f.jsx)(`ul`,{className:`found grants`,"aria-label":`Grants`,children:m.map(e=>(0,f.jsx)(x,{grant:e,onRevoked:e=>c(e)},e.id))})]}),(0,f.jsxs)(`section`,{"aria-labelledby":`new-grant-title`,children:[(0,f.jsx)(`h2`,{id:`new-grant-title`,children:`New grant`}),(0,f.jsx)(w,{groups:g,onCreated:e=>{c(e),p(e=>e+1)}},u)]})]})]})}function x({grant:e,onRevoked:t}){let[i,a]=(0,d.useState)(!1),[s,c]=n(_),l=v(e),u=y(e);return(0,f.jsxs)(`li`,{children:[(0,f.jsxs)(`span`,{children:[(0,f.jsx)(`strong`,{children:l}),` may see `,u,`.`,` `,(0,f.jsx)(`span`,{className:`muted`,children:e.expiresAt?`Until ${r(e.expiresAt)}.`:`No end date.`})]}),i?(0,f.jsxs)(`span`,{className:`confirm`,role:`group`,"aria-label":`Confirm revoking ${l}'s grant`,children:[(0,f.jsx)(`button`,{type:`button`,className:`button danger small`,autoFocus:!0,disabled:s.fetching,onClick:async()=>{(await c({id:e.id})).error||t(`Revoked: ${l} may no longer see ${u}.`)},children:`Yes, revoke it`}),(0,f.jsx)(`button`,{type:`button`,className:`button secondary small`,onClick:()=>a(!1),children:`Keep it`}),s.error&&(0,f.jsx)(o,{error:s.error})]}):(0,f.jsx)(`button`,{type:`button`,className:`button secondary small`,"aria-label":`Revoke: ${l} on ${u}`,onClick:()=>a(!0),children:`Revoke`})]})}function S({name:e,legend:t,value:n,onChange:r}){return(0,f.jsxs)(`fieldset`,{className:`choice`,children:[(0,f.jsx)(`legend`,{children:t}),[`employee`,`group`].map(t=>(0,f.jsxs)(`label`,{children:[(0,f.jsx)(`input`,{type:`radio`,name:e,value:t,checked:n===t,onChange:()=>r(t)}),t===`employee`?`An employee`:`A group`]},t))]})}function C({id:e,label:t,groups:n,value:r,onChange:i}){return(0,f.jsxs)(`div`,{className:`field`,children:[(0,f.jsx)(`label`,{htmlFor:e,children:t}),(0,f.jsxs)(`select`,{id:e,value:r,onChange:e=>i(e.target.value),children:[(0,f.jsx)(`option`,{value:``,children:`Choose a group`}),n.map(e=>(0,f.jsx)(`option`,{value:e.id,children:e.name},e.id))]})]})}function w({groups:e,onCreated:t}){let[r,i]=(0,d.useState)(`employee`),[a,s]=(0,d.useState)(null),[c,l]=(0,d.useState)(``),[u,p]=(0,d.useState)(`employee`),[h,_]=(0,d.useState)(null),[b,x]=(0,d.useState)(``),[w,T]=(0,d.useState)(!1),[E,D]=(0,d.useState)(``),[O,k]=(0,d.useState)(``),[A,j]=n(g);return(0,f.jsxs)(`form`,{className:`card stack`,onSubmit:async e=>{e.preventDefault(),k(``);let n={includeReports:u===`employee`&&w};if(r===`employee`?n.granteeEmployeeId=a?.id:n.granteeGroupId=c||void 0,u===`employee`?n.targetEmployeeId=h?.id:n.targetGroupId=b||void 0,!n.granteeEmployeeId&&!n.granteeGroupId)return k(`Choose who gets access.`);if(!n.targetEmployeeId&&!n.targetGroupId)return k(`Choose whose documents they may see.`);E&&(n.expiresAt=new Date(`${E}T23:59:59`).toISOString());let i=await j({input:n});if(i.data){let e=i.data.createGrant;t(`Granted: ${v(e)} may see ${y(e)}.`)}},"aria-label":`New grant`,noValidate:!0,children:[(0,f.jsx)(S,{name:`grantee-kind`,legend:`Who gets access`,value:r,onChange:i}),r===`employee`?(0,f.jsx)(m,{id:`grantee`,label:`Grantee`,value:a,onChange:s}):(0,f.jsx)(C,{id:`grantee-group`,label:`Grantee group`,groups:e,value:c,onChange:l}),(0,f.jsx)(S,{name:`target-kind`,legend:`Whose documents`,value:u,onChange:p}),u===`employee`?(0,f.jsxs)(f.Fragment,{children:[(0,f.jsx)(m,{id:`target`,label:`Owner`,value:h,onChange:_}),(0,f.jsxs)(`label`,{className:`check`,children:[(0,f.jsx)(`input`,{type:`checkbox`,checked:w,onChange:e=>T(e.target.checked)}),`Everyone below them too`]})]}):(0,f.jsx)(C,{id:`target-group`,label:`Owner group`,groups:e,value:b,onChange:x}),(0,f.jsxs)(`div`,{className:`field`,children:[(0,f.jsx)(`label`,{htmlFor:`grant-until`,children:`Until (optional)`}),(0,f.jsx)(`input`,{id:`grant-until`,type:`date`,value:E,onChange:e=>D(e.target.value)})]}),O&&(0,f.jsx)(`p`,{className:`error`,role:`alert`,children:O}),A.error&&(0,f.jsx)(o,{error:A.error}),(0,f.jsx)(`div`,{className:`actions`,children:(0,f.jsx)(`button`,{type:`submit`,className:`button`,disabled:A.fetching,children:`Create grant`})})]})}export{b as GrantsPage};