import{D as e,O as t,S as n,_ as r,b as i,c as a,d as o,g as s,l as c,m as l,o as u,s as d,w as f,x as p,y as m}from"./index-CXhbPSbT.js";import{n as h,t as g}from"./ProductForm-DipZ8lNP.js";var _=t(e(),1),v=l(),y=r(`
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
`),b=50,x=0;function S(e=[],t){return t.lowStock?[{key:x++,at:new Date().toISOString(),product:t.lowStock},...e].slice(0,b):e}function C(){let[{data:e=[],error:t}]=p({query:y},S),r=s();return(0,v.jsxs)(`section`,{className:`card stack`,"aria-labelledby":`alerts-title`,children:[(0,v.jsx)(`h2`,{id:`alerts-title`,children:`Low-stock alerts`}),t&&(0,v.jsx)(o,{error:t}),r===`reconnecting`&&(0,v.jsx)(`p`,{className:`muted`,role:`status`,children:`Reconnecting: alerts raised until then are not shown here.`}),(0,v.jsx)(`div`,{role:`log`,"aria-labelledby":`alerts-title`,children:(0,v.jsx)(`ul`,{className:`alerts`,children:e.map(({key:e,at:t,product:r})=>(0,v.jsxs)(`li`,{className:`alert-row`,children:[(0,v.jsx)(n,{to:`/admin/products/${r.id}`,children:r.name}),` `,(0,v.jsx)(`span`,{className:`badge low`,children:r.inventory.available<=0?`Out of stock`:`${r.inventory.available} left`}),` `,(0,v.jsxs)(`span`,{className:`muted`,children:[`at or below `,r.inventory.lowStockThreshold,` · `,r.sku,` · `,d(t)]})]},e))})}),e.length===0&&!t&&(0,v.jsx)(`p`,{className:`muted`,children:`No product has run low since this page was opened.`})]})}var w=r(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      name
    }
  }
`),T=r(`
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
`);function E(){c(`Admin`);let[e,t]=(0,_.useState)(``),[r,s]=(0,_.useState)(``),[l]=i({query:T,variables:{search:r},pause:!r}),[d,p]=m(w),y=f(),b=t=>{t.preventDefault(),s(e.trim())},x=async e=>{let t=await p({input:{sku:e.sku,name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,initialStock:Number(e.initialStock),lowStockThreshold:Number(e.lowStockThreshold)}});t.data&&y(`/admin/products/${t.data.createProduct.id}`)},S=l.data?.products.edges.map(e=>e.node)??[];return(0,v.jsxs)(`section`,{className:`page`,"aria-labelledby":`admin-title`,children:[(0,v.jsx)(`h1`,{id:`admin-title`,children:`Catalog admin`}),(0,v.jsx)(C,{}),(0,v.jsxs)(`div`,{className:`columns`,children:[(0,v.jsxs)(`section`,{"aria-labelledby":`find-title`,children:[(0,v.jsx)(`h2`,{id:`find-title`,children:`Edit a product`}),(0,v.jsxs)(`form`,{role:`search`,className:`filters`,onSubmit:b,"aria-label":`Find a product to edit`,children:[(0,v.jsxs)(`div`,{className:`field grow`,children:[(0,v.jsx)(`label`,{htmlFor:`admin-search`,children:`Name or SKU`}),(0,v.jsx)(`input`,{id:`admin-search`,type:`search`,value:e,onChange:e=>t(e.target.value)})]}),(0,v.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),l.error&&(0,v.jsx)(o,{error:l.error}),r&&l.data&&S.length===0&&(0,v.jsxs)(a,{children:[`No product matches “`,r,`”.`]}),(0,v.jsx)(`ul`,{className:`found`,children:S.map(e=>(0,v.jsxs)(`li`,{children:[(0,v.jsx)(n,{to:`/admin/products/${e.id}`,children:e.name}),(0,v.jsxs)(`span`,{className:`muted`,children:[e.sku,` · `,u(e.price),` · `,e.inventory.available,` available`]})]},e.id))})]}),(0,v.jsxs)(`section`,{"aria-labelledby":`create-title`,children:[(0,v.jsx)(`h2`,{id:`create-title`,children:`New product`}),(0,v.jsx)(h,{initial:g,creating:!0,busy:d.fetching,submitLabel:`Create product`,onSubmit:x,children:d.error&&(0,v.jsx)(o,{error:d.error})})]})]})]})}export{E as AdminPage};