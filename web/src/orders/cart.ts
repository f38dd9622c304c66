// The cart's operations, shared by the header (its count), the "Add to cart" buttons and the
// cart page. Every mutation asks for the whole cart (`CartContent`), so graphcache stores the
// answer as the one cart of the signed-in user (key `Cart:viewer`, see api/cache.ts) and every
// screen showing the cart updates without fetching again.
import { graphql } from "../gql";

export const CartContent = graphql(`
  fragment CartContent on Cart {
    itemCount
    lines {
      quantity
      addedAt
      product {
        id
        name
        sku
        price {
          amount
          currency
        }
        inventory {
          available
          lowStock
        }
      }
    }
  }
`);

export const CartQuery = graphql(`
  query Cart {
    cart {
      ...CartContent
    }
  }
`);

export const CartCount = graphql(`
  query CartCount {
    cart {
      itemCount
    }
  }
`);

export const AddToCart = graphql(`
  mutation AddToCart($productId: ID!, $quantity: Int!) {
    addToCart(productId: $productId, quantity: $quantity) {
      ...CartContent
    }
  }
`);

export const SetCartQuantity = graphql(`
  mutation SetCartQuantity($productId: ID!, $quantity: Int!) {
    setCartQuantity(productId: $productId, quantity: $quantity) {
      ...CartContent
    }
  }
`);

export const RemoveFromCart = graphql(`
  mutation RemoveFromCart($productId: ID!) {
    removeFromCart(productId: $productId) {
      ...CartContent
    }
  }
`);

export const ClearCart = graphql(`
  mutation ClearCart {
    clearCart {
      ...CartContent
    }
  }
`);
