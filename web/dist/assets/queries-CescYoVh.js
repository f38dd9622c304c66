import{u as e}from"./index-K6lrPEjJ.js";var t=e(`
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