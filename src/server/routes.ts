/** Extra HTTP routes beside the exporter's own (such as /probe), built once the config is loaded. */
import type { ConfigStore } from '../config/store.js';
import type { Logger } from '../lib/log.js';
import type { RouteInstaller } from './http-server.js';

export type RoutesFactory = (config: ConfigStore, log: Logger) => RouteInstaller;
