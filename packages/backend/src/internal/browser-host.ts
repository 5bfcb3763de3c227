import { browserHost, setHost } from './host.js';

setHost(browserHost);
