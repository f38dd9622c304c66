import{A as e,C as t,T as n,_ as r,a as i,b as a,c as o,d as s,f as c,h as l,j as u,k as d,l as f,o as p,p as m,w as h,x as g}from"./index-Db-enYTQ.js";import{n as _,o as v,r as y}from"./words-axmwFmsK.js";var b=u(e(),1),x=m(),S=10,C=a(`
  query MyOrders($first: Int!, $after: String, $status: OrderStatus) {
    myOrders(first: $first, after: $after, status: $status) {
      totalCount
      edges {
        cursor
        node {
          id
          number
          status
          itemCount
          placedAt
          total {
            amount
            currency
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`),w=a(`
  subscription MyOrdersChanged {
    myOrders {
      id
      number
      status
      itemCount
      placedAt
      total {
        amount
        currency
      }
    }
  }
`),T=(e=0)=>e+1;function E(){f(`Your orders`);let[e,t]=d(),r=_.find(t=>t===e.get(`status`))??null;return(0,x.jsxs)(`section`,{className:`page`,"aria-labelledby":`orders-title`,children:[(0,x.jsxs)(`div`,{className:`page-head`,children:[(0,x.jsx)(`h1`,{id:`orders-title`,children:`Your orders`}),(0,x.jsx)(n,{to:`/cart`,children:`Your cart`})]}),(0,x.jsx)(`div`,{className:`filters`,children:(0,x.jsxs)(`div`,{className:`field`,children:[(0,x.jsx)(`label`,{htmlFor:`order-status`,children:`Status`}),(0,x.jsxs)(`select`,{id:`order-status`,value:r??``,onChange:e=>t(e.target.value?{status:e.target.value}:{}),children:[(0,x.jsx)(`option`,{value:``,children:`All orders`}),_.map(e=>(0,x.jsx)(`option`,{value:e,children:y[e]},e))]})]})}),(0,x.jsx)(D,{status:r},r??`all`)]})}function D({status:e}){let[a,u]=(0,b.useState)(null),[{data:d,fetching:f,error:m},_]=t({query:C,variables:{first:S,after:a,status:e},requestPolicy:`cache-and-network`}),E=d?.myOrders,D=g(),[{data:O,error:k},A]=h({query:w},T),j=()=>{D.query(C,{first:S,after:null,status:e},{requestPolicy:`network-only`}).toPromise()};return l(O,j),r(k,A,j),m&&!E?(0,x.jsx)(s,{error:m,retry:()=>_({requestPolicy:`network-only`})}):E?(0,x.jsxs)(`section`,{"aria-labelledby":`orders-count`,children:[(0,x.jsx)(`h2`,{id:`orders-count`,className:`results-count`,"aria-live":`polite`,children:E.totalCount===1?`1 order`:`${E.totalCount.toLocaleString()} orders`}),E.edges.length===0?(0,x.jsx)(o,{children:e?`You have no orders that are ${y[e].toLowerCase()}.`:`You have not ordered anything yet.`}):(0,x.jsx)(`ul`,{className:`order-list`,children:E.edges.map(({node:e})=>(0,x.jsxs)(`li`,{className:`order-row`,children:[(0,x.jsxs)(n,{className:`title`,to:`/orders/${e.id}`,children:[`Order `,e.number]}),(0,x.jsx)(`span`,{className:`badge ${v(e.status)}`,children:y[e.status]}),(0,x.jsxs)(`span`,{className:`meta`,children:[(0,x.jsx)(`span`,{children:i(e.placedAt)}),(0,x.jsx)(`span`,{children:e.itemCount===1?`1 item`:`${e.itemCount} items`}),(0,x.jsx)(`span`,{className:`owner`,children:p(e.total)})]})]},e.id))}),m&&(0,x.jsx)(s,{error:m}),E.pageInfo.hasNextPage&&(0,x.jsx)(`div`,{className:`more`,children:f?(0,x.jsx)(c,{label:`Loading more orders`}):(0,x.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>u(E.pageInfo.endCursor??null),children:`Show more orders`})})]}):(0,x.jsx)(c,{label:`Loading your orders`})}export{E as OrdersPage};