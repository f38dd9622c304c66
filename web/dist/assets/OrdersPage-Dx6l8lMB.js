import{C as e,D as t,O as n,S as r,a as i,c as a,d as o,g as s,k as c,l,m as u,o as d,p as f,v as p,x as m,y as h}from"./index-whGYD6Ig.js";import{n as g,o as _,r as v}from"./words-axmwFmsK.js";var y=c(n(),1),b=u(),x=10,S=p(`
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
`),C=p(`
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
`),w=(e=0)=>e+1;function T(){l(`Your orders`);let[n,r]=t(),i=g.find(e=>e===n.get(`status`))??null;return(0,b.jsxs)(`section`,{className:`page`,"aria-labelledby":`orders-title`,children:[(0,b.jsxs)(`div`,{className:`page-head`,children:[(0,b.jsx)(`h1`,{id:`orders-title`,children:`Your orders`}),(0,b.jsx)(e,{to:`/cart`,children:`Your cart`})]}),(0,b.jsx)(`div`,{className:`filters`,children:(0,b.jsxs)(`div`,{className:`field`,children:[(0,b.jsx)(`label`,{htmlFor:`order-status`,children:`Status`}),(0,b.jsxs)(`select`,{id:`order-status`,value:i??``,onChange:e=>r(e.target.value?{status:e.target.value}:{}),children:[(0,b.jsx)(`option`,{value:``,children:`All orders`}),g.map(e=>(0,b.jsx)(`option`,{value:e,children:v[e]},e))]})]})}),(0,b.jsx)(E,{status:i},i??`all`)]})}function E({status:t}){let[n,c]=(0,y.useState)(null),[{data:l,fetching:u,error:p},g]=m({query:S,variables:{first:x,after:n,status:t},requestPolicy:`cache-and-network`}),T=l?.myOrders,E=h(),[{data:D}]=r({query:C},w);return s(D,()=>{E.query(S,{first:x,after:null,status:t},{requestPolicy:`network-only`}).toPromise()}),p&&!T?(0,b.jsx)(o,{error:p,retry:()=>g({requestPolicy:`network-only`})}):T?(0,b.jsxs)(`section`,{"aria-labelledby":`orders-count`,children:[(0,b.jsx)(`h2`,{id:`orders-count`,className:`results-count`,"aria-live":`polite`,children:T.totalCount===1?`1 order`:`${T.totalCount.toLocaleString()} orders`}),T.edges.length===0?(0,b.jsx)(a,{children:t?`You have no orders that are ${v[t].toLowerCase()}.`:`You have not ordered anything yet.`}):(0,b.jsx)(`ul`,{className:`order-list`,children:T.edges.map(({node:t})=>(0,b.jsxs)(`li`,{className:`order-row`,children:[(0,b.jsxs)(e,{className:`title`,to:`/orders/${t.id}`,children:[`Order `,t.number]}),(0,b.jsx)(`span`,{className:`badge ${_(t.status)}`,children:v[t.status]}),(0,b.jsxs)(`span`,{className:`meta`,children:[(0,b.jsx)(`span`,{children:i(t.placedAt)}),(0,b.jsx)(`span`,{children:t.itemCount===1?`1 item`:`${t.itemCount} items`}),(0,b.jsx)(`span`,{className:`owner`,children:d(t.total)})]})]},t.id))}),p&&(0,b.jsx)(o,{error:p}),T.pageInfo.hasNextPage&&(0,b.jsx)(`div`,{className:`more`,children:u?(0,b.jsx)(f,{label:`Loading more orders`}):(0,b.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>c(T.pageInfo.endCursor??null),children:`Show more orders`})})]}):(0,b.jsx)(f,{label:`Loading your orders`})}export{T as OrdersPage};