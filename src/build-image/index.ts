import { run } from './main.js';
import { isPostStep, runPost } from './post.js';

if (isPostStep()) await runPost();
else await run();
