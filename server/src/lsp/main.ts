/** Entry of the bundled server (dist/server.js) that the VS Code client starts with --node-ipc. */
import { startServer } from './server';

startServer();
