import{createRequire as __slotlineRequire}from'node:module';const require=__slotlineRequire(import.meta.url);
import{b as a,c as b,d as c,e as d}from"./chunk-MFER3UCW.js";import"./chunk-MARVE4OA.js";import"./chunk-HIXWC2DD.js";export{a as SARIF_LIMITS,c as categoryFor,d as mergeSarif,b as uploadSizeProblem};
