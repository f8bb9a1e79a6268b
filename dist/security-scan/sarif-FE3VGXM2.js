import{createRequire as __slotlineRequire}from'node:module';const require=__slotlineRequire(import.meta.url);
import{b as a,c as b,d as c,e as d}from"./chunk-EUDYIDKB.js";import"./chunk-Y2AGFMQB.js";import"./chunk-HIXWC2DD.js";export{a as SARIF_LIMITS,c as categoryFor,d as mergeSarif,b as uploadSizeProblem};
