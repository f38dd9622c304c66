import{A as e,C as t,O as n,S as r,T as i,b as a,d as o,f as s,j as c,l,p as u}from"./index-Db-enYTQ.js";import{n as d}from"./ProductForm-BmiJBr_M.js";var f=c(e(),1),p=u(),m=a(`
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
`);function h({productId:e,inventory:t}){let[n,i]=(0,f.useState)(``),[a,s]=(0,f.useState)(``),[c,l]=r(m),[u,d]=(0,f.useState)(``);return(0,p.jsxs)(`form`,{className:`card stack`,onSubmit:async t=>{t.preventDefault(),d(``);let r=await l({productId:e,delta:Number(n),reason:a.trim()||null});r.data&&(d(`Stock on hand is now ${r.data.adjustStock.inventory.onHand}.`),i(``),s(``))},"aria-labelledby":`stock-title`,children:[(0,p.jsx)(`h2`,{id:`stock-title`,children:`Stock`}),(0,p.jsxs)(`p`,{children:[`On hand `,t.onHand,`, reserved `,t.reserved,`, available `,t.available,`.`]}),(0,p.jsxs)(`div`,{className:`row`,children:[(0,p.jsxs)(`div`,{className:`field`,children:[(0,p.jsx)(`label`,{htmlFor:`stock-delta`,children:`Change (negative to remove)`}),(0,p.jsx)(`input`,{id:`stock-delta`,type:`number`,step:`1`,required:!0,value:n,onChange:e=>i(e.target.value)})]}),(0,p.jsxs)(`div`,{className:`field grow`,children:[(0,p.jsx)(`label`,{htmlFor:`stock-reason`,children:`Reason`}),(0,p.jsx)(`input`,{id:`stock-reason`,value:a,onChange:e=>s(e.target.value)})]})]}),c.error&&(0,p.jsx)(o,{error:c.error}),u&&(0,p.jsx)(`p`,{className:`success`,role:`status`,children:u}),(0,p.jsx)(`div`,{className:`actions`,children:(0,p.jsx)(`button`,{type:`submit`,className:`button`,disabled:c.fetching||!n||Number(n)===0,children:`Adjust stock`})})]})}var g=a(`
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
`),_=a(`
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
`);function v(){let{id:e=``}=n(),[{data:a,error:c}]=t({query:g,variables:{id:e},requestPolicy:`network-only`}),[u,f]=r(_),m=a?.product;if(l(m?`Edit ${m.name}`:`Edit product`),c)return(0,p.jsx)(o,{error:c});if(!a)return(0,p.jsx)(s,{label:`Loading the product`});if(!m)return(0,p.jsxs)(`section`,{className:`page`,"aria-labelledby":`edit-product-title`,children:[(0,p.jsx)(`h1`,{id:`edit-product-title`,children:`Product not found`}),(0,p.jsx)(`p`,{children:(0,p.jsx)(i,{to:`/admin`,children:`Back to admin`})})]});let v={sku:m.sku,name:m.name,description:m.description,amount:m.price.amount,currency:m.price.currency,categoryId:m.category.id,initialStock:`0`,lowStockThreshold:String(m.inventory.lowStockThreshold)};return(0,p.jsxs)(`section`,{className:`page`,"aria-labelledby":`edit-product-title`,children:[(0,p.jsxs)(`p`,{children:[(0,p.jsx)(i,{to:`/admin`,children:`← Admin`}),` · `,(0,p.jsx)(i,{to:`/catalog/${m.id}`,children:`View in the catalog`})]}),(0,p.jsxs)(`h1`,{id:`edit-product-title`,children:[`Edit `,m.name]}),(0,p.jsxs)(`p`,{className:`muted`,children:[`SKU `,m.sku]}),(0,p.jsxs)(d,{initial:v,creating:!1,busy:u.fetching,submitLabel:`Save product`,onSubmit:t=>f({id:e,input:{name:t.name,description:t.description,price:{amount:t.amount,currency:t.currency},categoryId:t.categoryId,lowStockThreshold:Number(t.lowStockThreshold)}}),children:[u.error&&(0,p.jsx)(o,{error:u.error}),u.data&&!u.error&&(0,p.jsx)(`p`,{className:`success`,role:`status`,children:`Saved.`})]},m.id),(0,p.jsx)(h,{productId:m.id,inventory:m.inventory})]})}export{v as EditProductPage};