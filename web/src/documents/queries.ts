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

/**
 * What the app knows of a deleted document: what `documentDeleted` pushes and the document page
 * shows (the subscription and the page's query select the same fields, so the pushed deletion
 * answers the page's query from the cache).
 */
export const DeletedDocumentFields = graphql(`
  fragment DeletedDocumentFields on DeletedDocument {
    id
    title
    ownerId
    owner {
      id
      name
    }
    version
    deletedBy {
      id
      name
    }
    deletedAt
    sharedWithViewer
  }
`);

/** A document, or (when it is gone) its deletion: who deleted it and when, for seven days. */
export const DocumentDetail = graphql(`
  query DocumentDetail($id: ID!) {
    deletedDocument(id: $id) {
      ...DeletedDocumentFields
    }
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
