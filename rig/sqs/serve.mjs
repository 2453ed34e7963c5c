// fauxqs on loopback only (its own CLI listens on 0.0.0.0), with queue URLs that resolve:
// its store names queues "sqs.<region>.localhost:PORT" unless its host is empty, in which case
// a queue URL names the host the request came to (http://127.0.0.1:PORT/000000000000/<name>).
import { buildApp } from "fauxqs";
import { SqsStore } from "./node_modules/fauxqs/dist/sqs/sqsStore.js";

const port = Number(process.argv[2]);
const sqsStore = new SqsStore();
sqsStore.host = "";
const app = buildApp({ logger: false, stores: { sqsStore } });
await app.listen({ port, host: "127.0.0.1" });
console.log(`fauxqs listening on 127.0.0.1:${port}`);
