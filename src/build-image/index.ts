import { run } from './main.js';
import { isPostStep, runPost } from './post.js';

await (isPostStep() ? runPost() : run());
