import{createRequire as __slotlineRequire}from'node:module';const require=__slotlineRequire(import.meta.url);
import"./chunk-I642GCEB.js";function o(){throw new Error("slotline does not open a browser (interactive sign-in is not supported)")}export{o as default};
