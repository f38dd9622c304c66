import{b as e}from"./index-Db-enYTQ.js";e(`
  fragment OrderFields on Order {
    id
    number
    status
    itemCount
    canCancel
    failureReason
    placedAt
    updatedAt
    total {
      amount
      currency
    }
    lines {
      sku
      name
      quantity
      unitPrice {
        amount
        currency
      }
      total {
        amount
        currency
      }
      product {
        id
      }
    }
    shippingAddress {
      name
      line1
      line2
      city
      postalCode
      country
    }
    shipment {
      carrier
      tracking
      status
    }
    timeline {
      step
      outcome
      at
      detail
    }
  }
`);var t=e(`
  query OrderDetail($id: ID!) {
    order(id: $id) {
      ...OrderFields
    }
  }
`),n=e(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      ...OrderFields
    }
  }
`),r=e(`
  mutation CancelOrder($id: ID!) {
    cancelOrder(id: $id) {
      ...OrderFields
    }
  }
`);export{t as n,n as r,r as t};