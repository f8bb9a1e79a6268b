import{createRequire as __slotlineRequire}from'node:module';const require=__slotlineRequire(import.meta.url);
import{a,b}from"./chunk-RMZH4FGT.js";import"./chunk-K4LWEOSJ.js";import"./chunk-I642GCEB.js";export{b as createHttpPoller,a as deserializeState};
