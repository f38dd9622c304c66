import{A as e,C as t,D as n,S as r,T as i,_ as a,b as o,c as s,d as c,j as l,l as u,o as d,p as f,s as p,v as m,w as h,y as g}from"./index-Db-enYTQ.js";import{n as _,t as v}from"./ProductForm-BmiJBr_M.js";var y=l(e(),1),b=f(),x=o(`
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
`),S=50,C=0;function w(e=[],t){return t.lowStock?[{key:C++,at:new Date().toISOString(),product:t.lowStock},...e].slice(0,S):e}function T(){let[{data:e=[],error:t},n]=h({query:x},w);a(t,n,()=>{});let r=m();return(0,b.jsxs)(`section`,{className:`card stack`,"aria-labelledby":`alerts-title`,children:[(0,b.jsx)(`h2`,{id:`alerts-title`,children:`Low-stock alerts`}),t&&!g(t,`SUBSCRIBER_LAGGED`)&&(0,b.jsx)(c,{error:t}),r===`reconnecting`&&(0,b.jsx)(`p`,{className:`muted`,role:`status`,children:`Reconnecting: alerts raised until then are not shown here.`}),(0,b.jsx)(`div`,{role:`log`,"aria-labelledby":`alerts-title`,children:(0,b.jsx)(`ul`,{className:`alerts`,children:e.map(({key:e,at:t,product:n})=>(0,b.jsxs)(`li`,{className:`alert-row`,children:[(0,b.jsx)(i,{to:`/admin/products/${n.id}`,children:n.name}),` `,(0,b.jsx)(`span`,{className:`badge low`,children:n.inventory.available<=0?`Out of stock`:`${n.inventory.available} left`}),` `,(0,b.jsxs)(`span`,{className:`muted`,children:[`at or below `,n.inventory.lowStockThreshold,` · `,n.sku,` · `,p(t)]})]},e))})}),e.length===0&&!t&&(0,b.jsx)(`p`,{className:`muted`,children:`No product has run low since this page was opened.`})]})}var E=o(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      name
    }
  }
`),D=o(`
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
`);function O(){u(`Admin`);let[e,a]=(0,y.useState)(``),[o,l]=(0,y.useState)(``),[f]=t({query:D,variables:{search:o},pause:!o}),[p,m]=r(E),h=n(),g=t=>{t.preventDefault(),l(e.trim())},x=async e=>{let t=await m({input:{sku:e.sku,name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,initialStock:Number(e.initialStock),lowStockThreshold:Number(e.lowStockThreshold)}});t.data&&h(`/admin/products/${t.data.createProduct.id}`)},S=f.data?.products.edges.map(e=>e.node)??[];return(0,b.jsxs)(`section`,{className:`page`,"aria-labelledby":`admin-title`,children:[(0,b.jsx)(`h1`,{id:`admin-title`,children:`Catalog admin`}),(0,b.jsx)(T,{}),(0,b.jsxs)(`div`,{className:`columns`,children:[(0,b.jsxs)(`section`,{"aria-labelledby":`find-title`,children:[(0,b.jsx)(`h2`,{id:`find-title`,children:`Edit a product`}),(0,b.jsxs)(`form`,{role:`search`,className:`filters`,onSubmit:g,"aria-label":`Find a product to edit`,children:[(0,b.jsxs)(`div`,{className:`field grow`,children:[(0,b.jsx)(`label`,{htmlFor:`admin-search`,children:`Name or SKU`}),(0,b.jsx)(`input`,{id:`admin-search`,type:`search`,value:e,onChange:e=>a(e.target.value)})]}),(0,b.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),f.error&&(0,b.jsx)(c,{error:f.error}),o&&f.data&&S.length===0&&(0,b.jsxs)(s,{children:[`No product matches “`,o,`”.`]}),(0,b.jsx)(`ul`,{className:`found`,children:S.map(e=>(0,b.jsxs)(`li`,{children:[(0,b.jsx)(i,{to:`/admin/products/${e.id}`,children:e.name}),(0,b.jsxs)(`span`,{className:`muted`,children:[e.sku,` · `,d(e.price),` · `,e.inventory.available,` available`]})]},e.id))})]}),(0,b.jsxs)(`section`,{"aria-labelledby":`create-title`,children:[(0,b.jsx)(`h2`,{id:`create-title`,children:`New product`}),(0,b.jsx)(_,{initial:v,creating:!0,busy:p.fetching,submitLabel:`Create product`,onSubmit:x,children:p.error&&(0,b.jsx)(c,{error:p.error})})]})]})]})}export{O as AdminPage};