import{C as e,O as t,S as n,T as r,_ as i,b as a,c as o,d as s,k as c,l,m as u,o as d,s as f,v as p,x as m}from"./index-whGYD6Ig.js";import{n as h,t as g}from"./ProductForm-MmLZ_8XX.js";var _=c(t(),1),v=u(),y=p(`
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
`),b=50,x=0;function S(e=[],t){return t.lowStock?[{key:x++,at:new Date().toISOString(),product:t.lowStock},...e].slice(0,b):e}function C(){let[{data:t=[],error:r}]=n({query:y},S),a=i();return(0,v.jsxs)(`section`,{className:`card stack`,"aria-labelledby":`alerts-title`,children:[(0,v.jsx)(`h2`,{id:`alerts-title`,children:`Low-stock alerts`}),r&&(0,v.jsx)(s,{error:r}),a===`reconnecting`&&(0,v.jsx)(`p`,{className:`muted`,role:`status`,children:`Reconnecting: alerts raised until then are not shown here.`}),(0,v.jsx)(`div`,{role:`log`,"aria-labelledby":`alerts-title`,children:(0,v.jsx)(`ul`,{className:`alerts`,children:t.map(({key:t,at:n,product:r})=>(0,v.jsxs)(`li`,{className:`alert-row`,children:[(0,v.jsx)(e,{to:`/admin/products/${r.id}`,children:r.name}),` `,(0,v.jsx)(`span`,{className:`badge low`,children:r.inventory.available<=0?`Out of stock`:`${r.inventory.available} left`}),` `,(0,v.jsxs)(`span`,{className:`muted`,children:[`at or below `,r.inventory.lowStockThreshold,` · `,r.sku,` · `,f(n)]})]},t))})}),t.length===0&&!r&&(0,v.jsx)(`p`,{className:`muted`,children:`No product has run low since this page was opened.`})]})}var w=p(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      name
    }
  }
`),T=p(`
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
`);function E(){l(`Admin`);let[t,n]=(0,_.useState)(``),[i,c]=(0,_.useState)(``),[u]=m({query:T,variables:{search:i},pause:!i}),[f,p]=a(w),y=r(),b=e=>{e.preventDefault(),c(t.trim())},x=async e=>{let t=await p({input:{sku:e.sku,name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,initialStock:Number(e.initialStock),lowStockThreshold:Number(e.lowStockThreshold)}});t.data&&y(`/admin/products/${t.data.createProduct.id}`)},S=u.data?.products.edges.map(e=>e.node)??[];return(0,v.jsxs)(`section`,{className:`page`,"aria-labelledby":`admin-title`,children:[(0,v.jsx)(`h1`,{id:`admin-title`,children:`Catalog admin`}),(0,v.jsx)(C,{}),(0,v.jsxs)(`div`,{className:`columns`,children:[(0,v.jsxs)(`section`,{"aria-labelledby":`find-title`,children:[(0,v.jsx)(`h2`,{id:`find-title`,children:`Edit a product`}),(0,v.jsxs)(`form`,{role:`search`,className:`filters`,onSubmit:b,"aria-label":`Find a product to edit`,children:[(0,v.jsxs)(`div`,{className:`field grow`,children:[(0,v.jsx)(`label`,{htmlFor:`admin-search`,children:`Name or SKU`}),(0,v.jsx)(`input`,{id:`admin-search`,type:`search`,value:t,onChange:e=>n(e.target.value)})]}),(0,v.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),u.error&&(0,v.jsx)(s,{error:u.error}),i&&u.data&&S.length===0&&(0,v.jsxs)(o,{children:[`No product matches “`,i,`”.`]}),(0,v.jsx)(`ul`,{className:`found`,children:S.map(t=>(0,v.jsxs)(`li`,{children:[(0,v.jsx)(e,{to:`/admin/products/${t.id}`,children:t.name}),(0,v.jsxs)(`span`,{className:`muted`,children:[t.sku,` · `,d(t.price),` · `,t.inventory.available,` available`]})]},t.id))})]}),(0,v.jsxs)(`section`,{"aria-labelledby":`create-title`,children:[(0,v.jsx)(`h2`,{id:`create-title`,children:`New product`}),(0,v.jsx)(h,{initial:g,creating:!0,busy:f.fetching,submitLabel:`Create product`,onSubmit:x,children:f.error&&(0,v.jsx)(s,{error:f.error})})]})]})]})}export{E as AdminPage};