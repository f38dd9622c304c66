import{S as e,T as t,_ as n,d as r,h as i,l as a,m as o,p as s,v as c,w as l,y as u}from"./index-CO-uFk0_.js";import{n as d}from"./ProductForm-CnYS-klU.js";var f=t(l(),1),p=o(),m=i(`
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
`);function h({productId:e,inventory:t}){let[i,a]=(0,f.useState)(``),[o,s]=(0,f.useState)(``),[c,l]=n(m),[u,d]=(0,f.useState)(``);return(0,p.jsxs)(`form`,{className:`card stack`,onSubmit:async t=>{t.preventDefault(),d(``);let n=await l({productId:e,delta:Number(i),reason:o.trim()||null});n.data&&(d(`Stock on hand is now ${n.data.adjustStock.inventory.onHand}.`),a(``),s(``))},"aria-labelledby":`stock-title`,children:[(0,p.jsx)(`h2`,{id:`stock-title`,children:`Stock`}),(0,p.jsxs)(`p`,{children:[`On hand `,t.onHand,`, reserved `,t.reserved,`, available `,t.available,`.`]}),(0,p.jsxs)(`div`,{className:`row`,children:[(0,p.jsxs)(`div`,{className:`field`,children:[(0,p.jsx)(`label`,{htmlFor:`stock-delta`,children:`Change (negative to remove)`}),(0,p.jsx)(`input`,{id:`stock-delta`,type:`number`,step:`1`,required:!0,value:i,onChange:e=>a(e.target.value)})]}),(0,p.jsxs)(`div`,{className:`field grow`,children:[(0,p.jsx)(`label`,{htmlFor:`stock-reason`,children:`Reason`}),(0,p.jsx)(`input`,{id:`stock-reason`,value:o,onChange:e=>s(e.target.value)})]})]}),c.error&&(0,p.jsx)(r,{error:c.error}),u&&(0,p.jsx)(`p`,{className:`success`,role:`status`,children:u}),(0,p.jsx)(`div`,{className:`actions`,children:(0,p.jsx)(`button`,{type:`submit`,className:`button`,disabled:c.fetching||!i||Number(i)===0,children:`Adjust stock`})})]})}var g=i(`
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
`),_=i(`
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
`);function v(){let{id:t=``}=e(),[{data:i,error:o}]=c({query:g,variables:{id:t},requestPolicy:`network-only`}),[l,f]=n(_),m=i?.product;if(a(m?`Edit ${m.name}`:`Edit product`),o)return(0,p.jsx)(r,{error:o});if(!i)return(0,p.jsx)(s,{label:`Loading the product`});if(!m)return(0,p.jsxs)(`section`,{className:`page`,"aria-labelledby":`edit-product-title`,children:[(0,p.jsx)(`h1`,{id:`edit-product-title`,children:`Product not found`}),(0,p.jsx)(`p`,{children:(0,p.jsx)(u,{to:`/admin`,children:`Back to admin`})})]});let v={sku:m.sku,name:m.name,description:m.description,amount:m.price.amount,currency:m.price.currency,categoryId:m.category.id,initialStock:`0`,lowStockThreshold:String(m.inventory.lowStockThreshold)};return(0,p.jsxs)(`section`,{className:`page`,"aria-labelledby":`edit-product-title`,children:[(0,p.jsxs)(`p`,{children:[(0,p.jsx)(u,{to:`/admin`,children:`← Admin`}),` · `,(0,p.jsx)(u,{to:`/catalog/${m.id}`,children:`View in the catalog`})]}),(0,p.jsxs)(`h1`,{id:`edit-product-title`,children:[`Edit `,m.name]}),(0,p.jsxs)(`p`,{className:`muted`,children:[`SKU `,m.sku]}),(0,p.jsxs)(d,{initial:v,creating:!1,busy:l.fetching,submitLabel:`Save product`,onSubmit:e=>f({id:t,input:{name:e.name,description:e.description,price:{amount:e.amount,currency:e.currency},categoryId:e.categoryId,lowStockThreshold:Number(e.lowStockThreshold)}}),children:[l.error&&(0,p.jsx)(r,{error:l.error}),l.data&&!l.error&&(0,p.jsx)(`p`,{className:`success`,role:`status`,children:`Saved.`})]},m.id),(0,p.jsx)(h,{productId:m.id,inventory:m.inventory})]})}export{v as EditProductPage};