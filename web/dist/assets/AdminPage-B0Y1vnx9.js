import{A as e,C as t,E as n,S as r,_ as i,c as a,d as o,g as s,k as c,l,o as u,p as d,s as f,v as p,w as m,x as h,y as g}from"./index-BZ2q009S.js";import{n as _,t as v}from"./ProductForm-HvRFKvKB.js";var y=e(c(),1),b=d(),x=g(`
  subscription LowStock {
    lowStock {
      id
      sku
      name
      inventory {
        available
        lowStockThreshold
      }
    }
  }
`),S=50,C=0;function w(e=[],t){return t.lowStock?[{key:C++,at:new Date().toISOString(),product:t.lowStock},...e].slice(0,S):e}function T(){let[{data:e=[],error:n},r]=t({query:x},w);s(n,r,()=>{});let a=i();return(0,b.jsxs)(`section`,{className:`card stack`,"aria-labelledby":`alerts-title`,children:[(0,b.jsx)(`h2`,{id:`alerts-title`,children:`Low-stock alerts`}),n&&!p(n,`SUBSCRIBER_LAGGED`)&&(0,b.jsx)(o,{error:n}),a===`reconnecting`&&(0,b.jsx)(`p`,{className:`muted`,role:`status`,children:`Reconnecting: alerts raised until then are not shown here.`}),(0,b.jsx)(`div`,{role:`log`,"aria-labelledby":`alerts-title`,children:(0,b.jsx)(`ul`,{className:`alerts`,children:e.map(({key:e,at:t,product:n})=>(0,b.jsxs)(`li`,{className:`alert-row`,children:[(0,b.jsx)(m,{to:`/admin/products/${n.id}`,children:n.name}),` `,(0,b.jsx)(`span`,{className:`badge low`,children:n.inventory.available<=0?`Out of stock`:`${n.inventory.available} left`}),` `,(0,b.jsxs)(`span`,{className:`muted`,children:[`at or below `,n.inventory.lowStockThreshold,` · `,n.sku,` · `,f(t)]})]},e))})}),e.length===0&&!n&&(0,b.jsx)(`p`,{className:`muted`,children:`No product has run low since this page was opened.`})]})}var E=g(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      name
    }
  }
`),D=g(`
  query FindProducts($search: String!) {
    products(first: 10, filter: { search: $search }) {
      edges {
        node {
          id
          sku
          name
          price {
            amount
            currency
          }
          inventory {
            available
          }
        }
      }
    }
  }
`);function O(){l(`Admin`);let[e,t]=(0,y.useState)(``),[i,s]=(0,y.useState)(``),[c]=r({query:D,variables:{search:i},pause:!i}),[d,f]=h(E),p=n(),g=t=>{t.preventDefault(),s(e.trim())},x=async e=>{let t=await f({input:{sku:e.sku,name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,initialStock:Number(e.initialStock),lowStockThreshold:Number(e.lowStockThreshold)}});t.data&&p(`/admin/products/${t.data.createProduct.id}`)},S=c.data?.products.edges.map(e=>e.node)??[];return(0,b.jsxs)(`section`,{className:`page`,"aria-labelledby":`admin-title`,children:[(0,b.jsx)(`h1`,{id:`admin-title`,children:`Catalog admin`}),(0,b.jsx)(T,{}),(0,b.jsxs)(`div`,{className:`columns`,children:[(0,b.jsxs)(`section`,{"aria-labelledby":`find-title`,children:[(0,b.jsx)(`h2`,{id:`find-title`,children:`Edit a product`}),(0,b.jsxs)(`form`,{role:`search`,className:`filters`,onSubmit:g,"aria-label":`Find a product to edit`,children:[(0,b.jsxs)(`div`,{className:`field grow`,children:[(0,b.jsx)(`label`,{htmlFor:`admin-search`,children:`Name or SKU`}),(0,b.jsx)(`input`,{id:`admin-search`,type:`search`,value:e,onChange:e=>t(e.target.value)})]}),(0,b.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),c.error&&(0,b.jsx)(o,{error:c.error}),i&&c.data&&S.length===0&&(0,b.jsxs)(a,{children:[`No product matches “`,i,`”.`]}),(0,b.jsx)(`ul`,{className:`found`,children:S.map(e=>(0,b.jsxs)(`li`,{children:[(0,b.jsx)(m,{to:`/admin/products/${e.id}`,children:e.name}),(0,b.jsxs)(`span`,{className:`muted`,children:[e.sku,` · `,u(e.price),` · `,e.inventory.available,` available`]})]},e.id))})]}),(0,b.jsxs)(`section`,{"aria-labelledby":`create-title`,children:[(0,b.jsx)(`h2`,{id:`create-title`,children:`New product`}),(0,b.jsx)(_,{initial:v,creating:!0,busy:d.fetching,submitLabel:`Create product`,onSubmit:x,children:d.error&&(0,b.jsx)(o,{error:d.error})})]})]})]})}export{O as AdminPage};