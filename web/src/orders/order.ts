// An order's operations: everything the order page shows (`OrderFields`, also asked for by
// `placeOrder`, so the page opens from the cache), cancelling, and the history.
import { graphql } from "../gql";

export const OrderFields = graphql(`
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
`);

export const OrderDetail = graphql(`
  query OrderDetail($id: ID!) {
    order(id: $id) {
      ...OrderFields
    }
  }
`);

export const PlaceOrder = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      ...OrderFields
    }
  }
`);

export const CancelOrder = graphql(`
  mutation CancelOrder($id: ID!) {
    cancelOrder(id: $id) {
      ...OrderFields
    }
  }
`);
