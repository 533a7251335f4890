// The schedule part's reference (bench/schedule.js): what a user might write instead of Pulsecheck,
// one croner job per check and an undici request() (its default global dispatcher), with the body
// read and the status checked. Run in its own process: `node bench/naive.js <base url> <jobs>`;
// job i requests <base url>/j/<i>. Prints "ready" once every job is scheduled; each kind of
// failure once, on stderr.
import { Cron } from 'croner';
import { request } from 'undici';

const [base, count] = [process.argv[2], Number(process.argv[3])];
const reported = new Set();
const fail = (kind) => {
  if (reported.has(kind)) return;
  reported.add(kind);
  console.error(`naive: ${kind}`);
};

for (let i = 0; i < count; i++) {
  const url = `${base}/j/${i}`;
  new Cron('*/10 * * * * *', async () => {
    try {
      const { statusCode, body } = await request(url);
      const json = await body.json();
      if (statusCode !== 200 || json.status !== 'UP') fail(`status ${statusCode}, body ${JSON.stringify(json)}`);
    } catch (error) {
      fail(`${error.code} ${error.message}`);
    }
  });
}
console.log('ready');
