using Ferry.Connectors.Endpoints;
using Ferry.Connectors.Local;
using Ferry.Connectors.Sftp;
using Ferry.Connectors.Sqs;
using Ferry.Core.Audit;
using Ferry.Core.Endpoints;
using Ferry.Core.Jobs;
using Ferry.Core.Schedules;
using Ferry.Core.Secrets;
using Ferry.Core.Tenancy;
using Ferry.Core.Triggers;
using Ferry.Core.Notifications;
using Ferry.Engine.Jobs;
using Ferry.Engine.Schedules;
using Ferry.Engine.Triggers;
using Ferry.Server.Api;
using Ferry.Server.Api.Audit;
using Ferry.Server.Api.Auth;
using Ferry.Server.Api.Customers;
using Ferry.Server.Api.Endpoints;
using Ferry.Server.Api.Health;
using Ferry.Server.Api.Jobs;
using Ferry.Server.Api.Schedules;
using Ferry.Server.Api.Json;
using Ferry.Server.Api.Transfers;
using Ferry.Server.Api.Triggers;
using Ferry.Server.Api.Events;
using Ferry.Server.Api.Webhooks;
using Ferry.Server.Notifications;
using Ferry.Stores.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ferry.Server.Hosting;

/// <summary>
/// `ferry serve`: the API and the engine in one process on the embedded store (SQLite in the data
/// directory, local staging). Composes the layers; holds no logic of its own.
/// </summary>
public static class FerryHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        // appsettings.json sits beside the binary; the data directory is relative to where Ferry was started.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        FerryOptions options;
        try
        {
            options = builder.Configuration.GetSection("Ferry").Get<FerryOptions>() ?? new FerryOptions();
        }
        catch (InvalidOperationException ex)
        {
            return Fail($"the configuration cannot be read: {ex.InnerException?.Message ?? ex.Message}");
        }

        var problems = options.Validate();
        if (problems.Count > 0)
        {
            return Fail(string.Join(Environment.NewLine + "  ", ["the configuration is invalid:", .. problems]));
        }

        TlsCertificateFiles? certificate = null;
        if (options.TlsCertificateFile is { Length: > 0 } certFile && options.TlsKeyFile is { Length: > 0 } keyFile)
        {
            string? error;
            try
            {
                (certificate, error) = TlsCertificateFiles.Load(certFile, keyFile, TimeProvider.System);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                (certificate, error) = (null, $"the TLS certificate {certFile} with key {keyFile} cannot be used: {ex.Message}");
            }

            if (certificate is null)
            {
                return Fail(error!);
            }
        }

        var data = new DataDirectory(options.DataDirectory);
        string adminKey;
        bool adminGenerated, secretGenerated;
        SqliteDatabase database;
        SecretCipher cipher;
        try
        {
            data.Create();
            adminKey = data.AdminKey(options.AdminKey, out adminGenerated);
            cipher = new SecretCipher(data.SecretKey(options.SecretKey, out secretGenerated));
            database = await SqliteDatabase.OpenAsync(data.Database, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or Microsoft.Data.Sqlite.SqliteException
            or InvalidOperationException) // a database written by a newer Ferry
        {
            return Fail($"the data directory {data.Root} cannot be used: {ex.Message}");
        }

        Compose(builder, options, data, database, cipher, adminKey, certificate);
        var app = builder.Build();
        MapRoutes(app);

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry");
        certificate?.Logger = logger;
        if (secretGenerated)
        {
            logger.LogWarning("No Ferry:SecretKey configured: generated one into {Path}. Secrets at rest are only as safe as that file; set FERRY__SECRETKEY in production and back it up.",
                Path.Combine(data.Root, "secret.key"));
        }

        foreach (var fallback in SftpConnector.Fallbacks)
        {
            // Only a build that trimmed SSH.NET's internals, or an SSH.NET that moved them, gets here; `ferry copy` warns the same way.
            logger.LogWarning("SFTP transfers work but run slower than they should: {Fallback}", fallback);
        }

        await app.StartAsync().ConfigureAwait(false);
        // Plain lines on stdout for the person who started it; the logs stay structured JSON.
        Console.WriteLine($"Ferry is listening on {options.Listen} (data in {data.Root})");
        Console.WriteLine(options.AdminKey is null
            ? $"Admin key{(adminGenerated ? " (generated)" : "")}: {adminKey}  (stored in {Path.Combine(data.Root, "admin.key")})"
            : "Admin key: from configuration (Ferry:AdminKey)");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"ferry serve: {message}");
        return 2;
    }

    private static void Compose(
        WebApplicationBuilder builder, FerryOptions options, DataDirectory data, SqliteDatabase database, SecretCipher cipher, string adminKey, TlsCertificateFiles? certificate)
    {
        builder.WebHost.UseUrls(options.Listen);
        if (certificate is not null)
        {
            // The slim builder leaves https out unless asked.
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = ApiJson.MaxBodyBytes;
            if (certificate is not null)
            {
                // Asked on every handshake, so a renewed certificate is served without a restart.
                k.ConfigureHttpsDefaults(h => h.ServerCertificateSelector = (_, _) => certificate.Select());
            }
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        var s = builder.Services;
        s.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds + 20));
        s.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        s.AddProblemDetails();
        s.AddOpenApi("v1");
        s.AddSingleton(options);
        s.AddSingleton(TimeProvider.System);
        s.AddSingleton(data);
        s.AddSingleton(database);
        s.AddSingleton<IJobStore>(new SqliteJobStore(database));
        s.AddSingleton<ILeftoverStore>(new SqliteLeftoverStore(database));
        s.AddSingleton<IEndpointStore>(new SqliteEndpointStore(database));
        s.AddSingleton<ITenantStore>(new SqliteTenantStore(database));
        s.AddSingleton<IAuditLog>(new SqliteAuditLog(database));
        s.AddSingleton<IConcurrencySlots>(new SqliteConcurrencySlots(database));
        s.AddSingleton<ISecretStore>(new SqliteSecretStore(database, cipher));
        s.AddSingleton<EndpointConnectors>();
        s.AddSingleton<IEndpointConnectors>(sp => sp.GetRequiredService<EndpointConnectors>());
        s.AddSingleton(sp => new EndpointConnectivity(sp.GetRequiredService<IEndpointConnectors>(), options.AllowPrivateNetworks));
        s.AddSingleton(sp => new ApiKeyAuthentication(sp.GetRequiredService<ITenantStore>(), adminKey, TimeProvider.System));
        s.AddSingleton(_ => new ServerMetrics(certificate));
        s.AddSingleton(sp => new ApiKeyRateLimit(options.RateLimitPerSecond, options.RateLimitBurst, sp.GetRequiredService<ServerMetrics>()));
        s.AddSingleton(new EngineOptions
        {
            Region = options.Region,
            Workers = options.Workers,
            Lease = TimeSpan.FromSeconds(options.LeaseSeconds),
            PollInterval = TimeSpan.FromSeconds(options.PollSeconds),
            ShutdownGrace = TimeSpan.FromSeconds(options.ShutdownGraceSeconds),
            Staging = LocalConnector.ForStaging(data.Staging),
            LeftoverRetry = TimeSpan.FromSeconds(options.LeftoverRetrySeconds),
        });
        s.AddSingleton<ActiveJobCounts>();
        s.AddSingleton<EngineMetrics>();
        s.AddSingleton(sp =>
        {
            var engine = ActivatorUtilities.CreateInstance<JobEngine>(sp);
            var notifier = sp.GetRequiredService<FailureNotifier>();
            engine.JobFailed = notifier.EnqueueAsync;
            return engine;
        });
        s.AddHostedService(sp => sp.GetRequiredService<JobEngine>());
        s.AddHostedService<JobStateGauges>();
        s.AddSingleton<IScheduleStore>(new SqliteScheduleStore(database));
        s.AddSingleton(new ScheduleOptions { MaxActiveJobsPerCustomer = options.MaxActiveJobsPerCustomer });
        s.AddSingleton<ITriggerStore>(new SqliteTriggerStore(database));
        s.AddSingleton<IWebhookStore>(new SqliteWebhookStore(database));
        s.AddSingleton(sp => new FailureNotifier(sp.GetRequiredService<IWebhookStore>(), sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<ISecretStore>(),
            options.AllowPrivateNetworks, sp.GetRequiredService<ILogger<FailureNotifier>>(), sp.GetRequiredService<TimeProvider>()));
        s.AddHostedService(sp => sp.GetRequiredService<FailureNotifier>());
        s.AddSingleton(sp =>
        {
            var runner = ActivatorUtilities.CreateInstance<ScheduleRunner>(sp);
            runner.JobsCreated = JobsCreated(sp);
            return runner;
        });
        s.AddSingleton(sp =>
        {
            var intake = ActivatorUtilities.CreateInstance<EventIntake>(sp);
            intake.JobsCreated = JobsCreated(sp);
            return intake;
        });
        s.AddSingleton(sp =>
        {
            var reconciler = ActivatorUtilities.CreateInstance<TriggerReconciler>(sp);
            reconciler.JobsCreated = JobsCreated(sp);
            return reconciler;
        });
        if (options.Workers > 0)
        {
            // The staging area belongs to the processes that run jobs.
            s.AddHostedService<StagingSweeper>();
            s.AddHostedService<LeftoverSweeper>();
            s.AddHostedService<RetentionSweeper>();
            // Schedules fire where jobs run; API-only nodes still run schedules on request (POST .../run).
            s.AddHostedService<Scheduler>();
            s.AddHostedService(sp => sp.GetRequiredService<TriggerReconciler>());
            s.AddSingleton<IEventQueues>(sp => new SqsEventQueues(sp.GetRequiredService<ISecretStore>()));
            s.AddHostedService<QueueConsumer>();
        }
        var telemetry = s.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(EngineMetrics.MeterName, JobStateGauges.MeterName, ServerMetrics.MeterName)
            .AddPrometheusExporter());
        if (options.OtlpTracesUri is { } traces)
        {
            telemetry
                .ConfigureResource(r => r.AddService("ferry", serviceInstanceId: $"{options.Region}/{Environment.MachineName}/{Environment.ProcessId}"))
                .WithTracing(t => t
                    .AddSource(EngineTracing.SourceName)
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        o.Filter = http => !IsProbe(http.Request.Path);
                        // An intake URL carries its token in the query string. The instrumentation
                        // redacts query values unless told otherwise; Ferry drops the query whatever it is told.
                        o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null);
                    })
                    .AddOtlpExporter(o =>
                    {
                        o.Endpoint = traces;
                        o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    }));
        }
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");

    /// <summary>What schedules and triggers do after creating jobs: count them against backpressure and wake the workers.</summary>
    private static Action<string, int> JobsCreated(IServiceProvider sp)
    {
        var engine = sp.GetRequiredService<JobEngine>();
        var active = sp.GetRequiredService<ActiveJobCounts>();
        return (customerId, created) =>
        {
            active.Created(customerId, created);
            engine.Wake();
        };
    }

    private static void MapRoutes(WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Whatever slipped through is a 500 with no internals in it (the log has the details).
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        var auth = app.Services.GetRequiredService<ApiKeyAuthentication>();
        app.Use((context, next) => auth.InvokeAsync(context, _ => next()));
        var rateLimit = app.Services.GetRequiredService<ApiKeyRateLimit>();
        app.Use((context, next) => rateLimit.InvokeAsync(context, _ => next()));
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapPrometheusScrapingEndpoint("/metrics");
        HealthApi.Map(app);
        CustomersApi.Map(app);
        EndpointsApi.Map(app);
        TransfersApi.Map(app);
        SchedulesApi.Map(app);
        TriggersApi.Map(app);
        EventsApi.Map(app);
        WebhooksApi.Map(app);
        JobsApi.Map(app);
        BatchesApi.Map(app);
        AuditApi.Map(app);
    }
}
