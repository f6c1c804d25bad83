/** Entry of the timeline webview (and of the HTML report): UI elements, styles, the app. */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode/codicons/dist/codicon.css';
import './timeline.css';
import { TimelineApp } from './app';
import { connectHost } from './host';
import { installTestHook } from './testHook';

performance.mark('ct:script');
const host = connectHost();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
root.id = 'app';
const app = new TimelineApp(root, host);
installTestHook(app);
app.start();
