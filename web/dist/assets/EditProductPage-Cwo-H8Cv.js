import{C as e,E as t,O as n,b as r,d as i,k as a,l as o,m as s,p as c,v as l,x as u}from"./index-whGYD6Ig.js";import{n as d}from"./ProductForm-MmLZ_8XX.js";var f=a(n(),1),p=s(),m=l(`
  mutation AdjustStock($productId: ID!, $delta: Int!, $reason: String) {
    adjustStock(productId: $productId, delta: $delta, reason: $reason) {
      id
      version
      inventory {
        onHand
        reserved
        available
        lowStock
        lowStockThreshold
      }
    }
  }
`);function h({productId:e,inventory:t}){let[n,a]=(0,f.useState)(``),[o,s]=(0,f.useState)(``),[c,l]=r(m),[u,d]=(0,f.useState)(``);return(0,p.jsxs)(`form`,{className:`card stack`,onSubmit:async t=>{t.preventDefault(),d(``);let r=await l({productId:e,delta:Number(n),reason:o.trim()||null});r.data&&(d(`Stock on hand is now ${r.data.adjustStock.inventory.onHand}.`),a(``),s(``))},"aria-labelledby":`stock-title`,children:[(0,p.jsx)(`h2`,{id:`stock-title`,children:`Stock`}),(0,p.jsxs)(`p`,{children:[`On hand `,t.onHand,`, reserved `,t.reserved,`, available `,t.available,`.`]}),(0,p.jsxs)(`div`,{className:`row`,children:[(0,p.jsxs)(`div`,{className:`field`,children:[(0,p.jsx)(`label`,{htmlFor:`stock-delta`,children:`Change (negative to remove)`}),(0,p.jsx)(`input`,{id:`stock-delta`,type:`number`,step:`1`,required:!0,value:n,onChange:e=>a(e.target.value)})]}),(0,p.jsxs)(`div`,{className:`field grow`,children:[(0,p.jsx)(`label`,{htmlFor:`stock-reason`,children:`Reason`}),(0,p.jsx)(`input`,{id:`stock-reason`,value:o,onChange:e=>s(e.target.value)})]})]}),c.error&&(0,p.jsx)(i,{error:c.error}),u&&(0,p.jsx)(`p`,{className:`success`,role:`status`,children:u}),(0,p.jsx)(`div`,{className:`actions`,children:(0,p.jsx)(`button`,{type:`submit`,className:`button`,disabled:c.fetching||!n||Number(n)===0,children:`Adjust stock`})})]})}var g=l(`
  query AdminProduct($id: ID!) {
    product(id: $id) {
      id
      sku
      name
      description
      price {
        amount
        currency
      }
      category {
        id
      }
      inventory {
        onHand
        reserved
        available
        lowStockThreshold
      }
      version
    }
  }
`),_=l(`
  mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
      id
      name
      description
      price {
        amount
        currency
      }
      category {
        id
        name
      }
      inventory {
        lowStockThreshold
        lowStock
      }
      version
    }
  }
`);function v(){let{id:n=``}=t(),[{data:a,error:s}]=u({query:g,variables:{id:n},requestPolicy:`network-only`}),[l,f]=r(_),m=a?.product;if(o(m?`Edit ${m.name}`:`Edit product`),s)return(0,p.jsx)(i,{error:s});if(!a)return(0,p.jsx)(c,{label:`Loading the product`});if(!m)return(0,p.jsxs)(`section`,{className:`page`,"aria-labelledby":`edit-product-title`,children:[(0,p.jsx)(`h1`,{id:`edit-product-title`,children:`Product not found`}),(0,p.jsx)(`p`,{children:(0,p.jsx)(e,{to:`/admin`,children:`Back to admin`})})]});let v={sku:m.sku,name:m.name,description:m.description,amount:m.price.amount,currency:m.price.currency,categoryId:m.category.id,initialStock:`0`,lowStockThreshold:String(m.inventory.lowStockThreshold)};return(0,p.jsxs)(`section`,{className:`page`,"aria-labelledby":`edit-product-title`,children:[(0,p.jsxs)(`p`,{children:[(0,p.jsx)(e,{to:`/admin`,children:`← Admin`}),` · `,(0,p.jsx)(e,{to:`/catalog/${m.id}`,children:`View in the catalog`})]}),(0,p.jsxs)(`h1`,{id:`edit-product-title`,children:[`Edit `,m.name]}),(0,p.jsxs)(`p`,{className:`muted`,children:[`SKU `,m.sku]}),(0,p.jsxs)(d,{initial:v,creating:!1,busy:l.fetching,submitLabel:`Save product`,onSubmit:e=>f({id:n,input:{name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,lowStockThreshold:Number(e.lowStockThreshold)}}),children:[l.error&&(0,p.jsx)(i,{error:l.error}),l.data&&!l.error&&(0,p.jsx)(`p`,{className:`success`,role:`status`,children:`Saved.`})]},m.id),(0,p.jsx)(h,{productId:m.id,inventory:m.inventory})]})}export{v as EditProductPage};