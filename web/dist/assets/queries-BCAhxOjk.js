import{y as e}from"./index-BZ2q009S.js";e(`
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
`);var t=e(`
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