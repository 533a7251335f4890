// The schedule part's reference (bench/schedule.js): what a user might write instead of Pulsecheck,
// one croner job per check and an undici request(), with the body read and the status checked.
// Run in its own process: `node bench/naive.js <base url> <jobs>`; job i requests <base url>/j/<i>.
// Prints "ready" once every job is scheduled, and one line per minute with the failures seen.
import { Cron } from 'croner';
import { request } from 'undici';

const [base, count] = [process.argv[2], Number(process.argv[3])];
let failures = 0;
const seen = new Set();

for (let i = 0; i < count; i++) {
  const url = `${base}/j/${i}`;
  new Cron('*/10 * * * * *', async () => {
    try {
      const { statusCode, body } = await request(url);
      const json = await body.json();
      if (statusCode !== 200 || json.status !== 'UP') failures++;
    } catch (error) {
      failures++;
      // Each kind of error once, on stderr: the bench shows it.
      if (!seen.has(error.code)) console.error(`naive: ${error.code} ${error.message}`, seen.add(error.code) && '');
    }
  });
}
setInterval(() => console.log(JSON.stringify({ failures })), 60_000).unref();
console.log('ready');
