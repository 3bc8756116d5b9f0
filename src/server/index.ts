// The server's library entry (`coffre/server`): a host app builds the Backup
// center's HTTP server from its BackupCenter and mounts it in its own Node
// server. Apart from src/index.ts because the server is built on it (one
// entry importing the other would make a cycle).

export { createServer, routeTable, type ServerOptions } from './app.js';
export { HTTP_STATUS, toHttpError, type ErrorBody } from './errors.js';
export { isLoopback, parseListen } from './listen.js';
export type { PageContext, RequestUser, RouteContext, RouteDef } from './routes.js';
export { parse, route } from './routes.js';
