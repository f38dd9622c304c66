import{b as e}from"./index-Db-enYTQ.js";e(`
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
`),e(`
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
`);var t=e(`
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
`),n=e(`
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
`);export{n,t};