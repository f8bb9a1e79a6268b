// Local stand-ins for third-party actions (README "Stand-ins"). Each says how it differs from the real one.

export interface StandInContext {
  inputs: Record<string, string>;
  workspace: string;
  print: (line: string) => void;
}

export interface StandIn {
  /** How it differs from the real action, printed when it runs and listed in the README. */
  differs: string;
  run: (ctx: StandInContext) => Promise<{ outputs: Record<string, string> }>;
}

export const STAND_INS: Record<string, StandIn> = {
  'actions/checkout': {
    differs: 'no clone or fetch: the workspace already is the work tree, with its uncommitted changes',
    run: async ({ workspace, print }) => {
      print(`workspace is the work tree ${workspace}`);
      return { outputs: {} };
    },
  },
};
