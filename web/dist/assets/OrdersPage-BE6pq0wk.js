import{D as e,E as t,O as n,S as r,_ as i,a,b as o,c as s,d as c,l,m as u,o as d,p as f}from"./index-CXhbPSbT.js";import{n as p,o as m,r as h}from"./words-axmwFmsK.js";var g=n(e(),1),_=u(),v=10,y=i(`
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
`);function b(){l(`Your orders`);let[e,n]=t(),i=p.find(t=>t===e.get(`status`))??null;return(0,_.jsxs)(`section`,{className:`page`,"aria-labelledby":`orders-title`,children:[(0,_.jsxs)(`div`,{className:`page-head`,children:[(0,_.jsx)(`h1`,{id:`orders-title`,children:`Your orders`}),(0,_.jsx)(r,{to:`/cart`,children:`Your cart`})]}),(0,_.jsx)(`div`,{className:`filters`,children:(0,_.jsxs)(`div`,{className:`field`,children:[(0,_.jsx)(`label`,{htmlFor:`order-status`,children:`Status`}),(0,_.jsxs)(`select`,{id:`order-status`,value:i??``,onChange:e=>n(e.target.value?{status:e.target.value}:{}),children:[(0,_.jsx)(`option`,{value:``,children:`All orders`}),p.map(e=>(0,_.jsx)(`option`,{value:e,children:h[e]},e))]})]})}),(0,_.jsx)(x,{status:i},i??`all`)]})}function x({status:e}){let[t,n]=(0,g.useState)(null),[{data:i,fetching:l,error:u},p]=o({query:y,variables:{first:v,after:t,status:e},requestPolicy:`cache-and-network`}),b=i?.myOrders;return u&&!b?(0,_.jsx)(c,{error:u,retry:()=>p({requestPolicy:`network-only`})}):b?(0,_.jsxs)(`section`,{"aria-labelledby":`orders-count`,children:[(0,_.jsx)(`h2`,{id:`orders-count`,className:`results-count`,"aria-live":`polite`,children:b.totalCount===1?`1 order`:`${b.totalCount.toLocaleString()} orders`}),b.edges.length===0?(0,_.jsx)(s,{children:e?`You have no orders that are ${h[e].toLowerCase()}.`:`You have not ordered anything yet.`}):(0,_.jsx)(`ul`,{className:`order-list`,children:b.edges.map(({node:e})=>(0,_.jsxs)(`li`,{className:`order-row`,children:[(0,_.jsxs)(r,{className:`title`,to:`/orders/${e.id}`,children:[`Order `,e.number]}),(0,_.jsx)(`span`,{className:`badge ${m(e.status)}`,children:h[e.status]}),(0,_.jsxs)(`span`,{className:`meta`,children:[(0,_.jsx)(`span`,{children:a(e.placedAt)}),(0,_.jsx)(`span`,{children:e.itemCount===1?`1 item`:`${e.itemCount} items`}),(0,_.jsx)(`span`,{className:`owner`,children:d(e.total)})]})]},e.id))}),u&&(0,_.jsx)(c,{error:u}),b.pageInfo.hasNextPage&&(0,_.jsx)(`div`,{className:`more`,children:l?(0,_.jsx)(f,{label:`Loading more orders`}):(0,_.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>n(b.pageInfo.endCursor??null),children:`Show more orders`})})]}):(0,_.jsx)(f,{label:`Loading your orders`})}export{b as OrdersPage};