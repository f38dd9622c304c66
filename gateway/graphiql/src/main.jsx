// GraphiQL for the Braid gateway, bundled into static assets served at /graphiql
// (no CDN, no external fonts: everything ships in dist/graphiql.{js,css}).
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import 'graphiql/graphiql.css';
import '@graphiql/plugin-explorer/dist/style.css';
import './page.css';

const root = document.getElementById('graphiql');

// Endpoints come from data attributes on the root element (see index.html), so the
// gateway can change them without rebuilding; both default to the same origin.
const endpoint = root.dataset.endpoint || '/graphql';
const wsPath = root.dataset.subscriptionEndpoint || '/graphql/ws';
const wsScheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
const subscriptionUrl = /^wss?:\/\//.test(wsPath)
  ? wsPath
  : `${wsScheme}//${window.location.host}${wsPath}`;

const fetcher = createGraphiQLFetcher({ url: endpoint, subscriptionUrl });
const plugins = [explorerPlugin()];

createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={plugins}
    isHeadersEditorEnabled
    shouldPersistHeaders
    // Open the headers tab so that `{"Authorization": "Bearer <token>"}` is one paste away.
    // (No placeholder header: an empty "Bearer " would be sent with introspection.)
    defaultEditorToolsVisibility="headers"
  />,
);
