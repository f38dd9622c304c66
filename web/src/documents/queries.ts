// The document operations and fragments shared by several screens.
import { graphql } from "../gql";

/** Who a document is shared with: what the sharing mutations answer and the detail shows. */
export const DocumentSharing = graphql(`
  fragment DocumentSharing on Document {
    id
    version
    sharedWith {
      employee {
        id
        name
      }
      group {
        id
        name
      }
      sharedBy {
        id
        name
      }
      sharedAt
    }
  }
`);

export const DocumentDetail = graphql(`
  query DocumentDetail($id: ID!) {
    document(id: $id) {
      id
      title
      body
      tags
      version
      ownerId
      owner {
        id
        name
      }
      createdBy {
        id
        name
      }
      createdAt
      updatedAt
      sharedWithViewer
      ...DocumentSharing
    }
  }
`);

export const VisibleDocuments = graphql(`
  query VisibleDocuments($filter: DocumentFilter, $first: Int!, $after: String) {
    visibleDocuments(filter: $filter, first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          id
          title
          tags
          ownerId
          owner {
            id
            name
          }
          updatedAt
          sharedWithViewer
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
