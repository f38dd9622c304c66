import{C as e,T as t,a as n,c as r,d as i,h as a,l as o,m as s,o as c,p as l,v as u,w as d,y as f}from"./index-CO-uFk0_.js";import{n as p,o as m,r as h}from"./words-axmwFmsK.js";var g=t(d(),1),_=s(),v=10,y=a(`
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
`);function b(){o(`Your orders`);let[t,n]=e(),r=p.find(e=>e===t.get(`status`))??null;return(0,_.jsxs)(`section`,{className:`page`,"aria-labelledby":`orders-title`,children:[(0,_.jsxs)(`div`,{className:`page-head`,children:[(0,_.jsx)(`h1`,{id:`orders-title`,children:`Your orders`}),(0,_.jsx)(f,{to:`/cart`,children:`Your cart`})]}),(0,_.jsx)(`div`,{className:`filters`,children:(0,_.jsxs)(`div`,{className:`field`,children:[(0,_.jsx)(`label`,{htmlFor:`order-status`,children:`Status`}),(0,_.jsxs)(`select`,{id:`order-status`,value:r??``,onChange:e=>n(e.target.value?{status:e.target.value}:{}),children:[(0,_.jsx)(`option`,{value:``,children:`All orders`}),p.map(e=>(0,_.jsx)(`option`,{value:e,children:h[e]},e))]})]})}),(0,_.jsx)(x,{status:r},r??`all`)]})}function x({status:e}){let[t,a]=(0,g.useState)(null),[{data:o,fetching:s,error:d},p]=u({query:y,variables:{first:v,after:t,status:e},requestPolicy:`cache-and-network`}),b=o?.myOrders;return d&&!b?(0,_.jsx)(i,{error:d,retry:()=>p({requestPolicy:`network-only`})}):b?(0,_.jsxs)(`section`,{"aria-labelledby":`orders-count`,children:[(0,_.jsx)(`h2`,{id:`orders-count`,className:`results-count`,"aria-live":`polite`,children:b.totalCount===1?`1 order`:`${b.totalCount.toLocaleString()} orders`}),b.edges.length===0?(0,_.jsx)(r,{children:e?`You have no orders that are ${h[e].toLowerCase()}.`:`You have not ordered anything yet.`}):(0,_.jsx)(`ul`,{className:`order-list`,children:b.edges.map(({node:e})=>(0,_.jsxs)(`li`,{className:`order-row`,children:[(0,_.jsxs)(f,{className:`title`,to:`/orders/${e.id}`,children:[`Order `,e.number]}),(0,_.jsx)(`span`,{className:`badge ${m(e.status)}`,children:h[e.status]}),(0,_.jsxs)(`span`,{className:`meta`,children:[(0,_.jsx)(`span`,{children:n(e.placedAt)}),(0,_.jsx)(`span`,{children:e.itemCount===1?`1 item`:`${e.itemCount} items`}),(0,_.jsx)(`span`,{className:`owner`,children:c(e.total)})]})]},e.id))}),d&&(0,_.jsx)(i,{error:d}),b.pageInfo.hasNextPage&&(0,_.jsx)(`div`,{className:`more`,children:s?(0,_.jsx)(l,{label:`Loading more orders`}):(0,_.jsx)(`button`,{type:`button`,className:`button secondary`,onClick:()=>a(b.pageInfo.endCursor??null),children:`Show more orders`})})]}):(0,_.jsx)(l,{label:`Loading your orders`})}export{b as OrdersPage};