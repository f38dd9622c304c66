import{T as e,_ as t,c as n,d as r,h as i,l as a,m as o,o as s,v as c,w as l,x as u,y as d}from"./index-CO-uFk0_.js";import{n as f,t as p}from"./ProductForm-CnYS-klU.js";var m=e(l(),1),h=o(),g=i(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      name
    }
  }
`),_=i(`
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
`);function v(){a(`Admin`);let[e,i]=(0,m.useState)(``),[o,l]=(0,m.useState)(``),[v]=c({query:_,variables:{search:o},pause:!o}),[y,b]=t(g),x=u(),S=t=>{t.preventDefault(),l(e.trim())},C=async e=>{let t=await b({input:{sku:e.sku,name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,initialStock:Number(e.initialStock),lowStockThreshold:Number(e.lowStockThreshold)}});t.data&&x(`/admin/products/${t.data.createProduct.id}`)},w=v.data?.products.edges.map(e=>e.node)??[];return(0,h.jsxs)(`section`,{className:`page`,"aria-labelledby":`admin-title`,children:[(0,h.jsx)(`h1`,{id:`admin-title`,children:`Catalog admin`}),(0,h.jsxs)(`div`,{className:`columns`,children:[(0,h.jsxs)(`section`,{"aria-labelledby":`find-title`,children:[(0,h.jsx)(`h2`,{id:`find-title`,children:`Edit a product`}),(0,h.jsxs)(`form`,{role:`search`,className:`filters`,onSubmit:S,"aria-label":`Find a product to edit`,children:[(0,h.jsxs)(`div`,{className:`field grow`,children:[(0,h.jsx)(`label`,{htmlFor:`admin-search`,children:`Name or SKU`}),(0,h.jsx)(`input`,{id:`admin-search`,type:`search`,value:e,onChange:e=>i(e.target.value)})]}),(0,h.jsx)(`button`,{type:`submit`,className:`button secondary`,children:`Find`})]}),v.error&&(0,h.jsx)(r,{error:v.error}),o&&v.data&&w.length===0&&(0,h.jsxs)(n,{children:[`No product matches “`,o,`”.`]}),(0,h.jsx)(`ul`,{className:`found`,children:w.map(e=>(0,h.jsxs)(`li`,{children:[(0,h.jsx)(d,{to:`/admin/products/${e.id}`,children:e.name}),(0,h.jsxs)(`span`,{className:`muted`,children:[e.sku,` · `,s(e.price),` · `,e.inventory.available,` available`]})]},e.id))})]}),(0,h.jsxs)(`section`,{"aria-labelledby":`create-title`,children:[(0,h.jsx)(`h2`,{id:`create-title`,children:`New product`}),(0,h.jsx)(f,{initial:p,creating:!0,busy:y.fetching,submitLabel:`Create product`,onSubmit:C,children:y.error&&(0,h.jsx)(r,{error:y.error})})]})]})]})}export{v as AdminPage};