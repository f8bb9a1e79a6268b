/**
 * Default documents for new Web resources, following the fields App Service returns in the 2025-05-01
 * examples (GetWebApp, GetSiteConfig) for a Linux container app. `workloadProfileName` and
 * `resourceConfig` are left out: they only exist for apps hosted in App Service Environments or
 * Container Apps environments, which the sandbox does not model.
 */
export function defaultSiteConfig(): Record<string, unknown> {
  return {
    acrUseManagedIdentityCreds: false,
    alwaysOn: true,
    appCommandLine: '',
    autoHealEnabled: false,
    azureStorageAccounts: {},
    defaultDocuments: [
      'Default.htm',
      'Default.html',
      'Default.asp',
      'index.htm',
      'index.html',
      'iisstart.htm',
      'default.aspx',
      'index.php',
      'hostingstart.html',
    ],
    detailedErrorLoggingEnabled: false,
    experiments: { rampUpRules: [] },
    ftpsState: 'FtpsOnly',
    functionAppScaleLimit: 0,
    functionsRuntimeScaleMonitoringEnabled: false,
    healthCheckPath: null,
    http20Enabled: true,
    httpLoggingEnabled: false,
    linuxFxVersion: '',
    loadBalancing: 'LeastRequests',
    logsDirectorySizeLimit: 35,
    managedPipelineMode: 'Integrated',
    minTlsVersion: '1.2',
    minimumElasticInstanceCount: 0,
    netFrameworkVersion: 'v4.0',
    nodeVersion: '',
    numberOfWorkers: 1,
    phpVersion: '',
    powerShellVersion: '',
    pythonVersion: '',
    remoteDebuggingEnabled: false,
    requestTracingEnabled: false,
    scmMinTlsVersion: '1.2',
    use32BitWorkerProcess: false,
    virtualApplications: [{ physicalPath: 'site\\wwwroot', preloadEnabled: true, virtualPath: '/' }],
    vnetName: '',
    vnetPrivatePortsCount: 0,
    vnetRouteAllEnabled: false,
    webSocketsEnabled: false,
  };
}

/** SiteConfig fields a swap leaves with their slot (the App Service docs' "never swapped" list). */
export const SLOT_BOUND_SITE_CONFIG = new Set([
  'alwaysOn',
  'ipSecurityRestrictions',
  'scmIpSecurityRestrictions',
  'cors',
  'vnetName',
  'vnetRouteAllEnabled',
  'vnetPrivatePortsCount',
  'numberOfWorkers',
  'experiments',
  'autoSwapSlotName',
]);

export function defaultSiteProperties(args: {
  name: string;
  hostName: string;
  resourceGroup: string;
  serverFarmId: string;
  sku: string;
  now: string;
  verificationId: string;
}): Record<string, unknown> {
  const scmHost = args.hostName.replace(/^([^.]+)\./, '$1.scm.');
  return {
    availabilityState: 'Normal',
    clientAffinityEnabled: true,
    clientAffinityProxyEnabled: false,
    clientCertEnabled: false,
    clientCertMode: 'Required',
    containerSize: 0,
    customDomainVerificationId: args.verificationId,
    dailyMemoryTimeQuota: 0,
    defaultHostName: args.hostName,
    enabled: true,
    enabledHostNames: [args.hostName, scmHost],
    hostNameSslStates: [
      { name: args.hostName, hostType: 'Standard', sslState: 'Disabled' },
      { name: scmHost, hostType: 'Repository', sslState: 'Disabled' },
    ],
    hostNames: [args.hostName],
    hostNamesDisabled: false,
    httpsOnly: true,
    hyperV: false,
    isXenon: false,
    keyVaultReferenceIdentity: 'SystemAssigned',
    lastModifiedTimeUtc: args.now,
    outboundIpAddresses: '127.0.0.1',
    outboundVnetRouting: {
      allTraffic: false,
      applicationTraffic: false,
      backupRestoreTraffic: false,
      contentShareTraffic: false,
      imagePullTraffic: false,
      managedIdentityTraffic: false,
    },
    possibleOutboundIpAddresses: '127.0.0.1',
    redundancyMode: 'None',
    repositorySiteName: args.name,
    reserved: true,
    resourceGroup: args.resourceGroup,
    scmSiteAlsoStopped: false,
    serverFarmId: args.serverFarmId,
    sku: args.sku,
    state: 'Running',
    storageAccountRequired: false,
    usageState: 'Normal',
    slotSwapStatus: null,
    targetSwapSlot: null,
  };
}
