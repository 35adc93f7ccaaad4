using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace SqliteQueue.Tests.PublicApi;

/// <summary>
/// Pins the public surface: a change to it must be deliberate and show up in review as a change to the
/// checked-in listing. Run with SQLITEQUEUE_UPDATE_API=1 to rewrite the listing after an intended change.
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Packages => new() { "SqliteQueue", "SqliteQueue.HealthChecks", "SqliteQueue.CommandLine", "SqliteQueue.Dashboard" };

    /// <summary>Each package has its own listing: SqliteQueue.api.txt, SqliteQueue.HealthChecks.api.txt, SqliteQueue.CommandLine.api.txt, SqliteQueue.Dashboard.api.txt.</summary>
    [Theory]
    [MemberData(nameof(Packages))]
    public void Public_api_matches_the_checked_in_listing(string package)
    {
        var actual = Describe(AssemblyOf(package));
        var path = Path.Combine(RepoRoot(), "tests", "SqliteQueue.Tests", "PublicApi", package + ".api.txt");

        if (Environment.GetEnvironmentVariable("SQLITEQUEUE_UPDATE_API") == "1")
        {
            File.WriteAllText(path, actual);
        }

        var expected = File.Exists(path) ? File.ReadAllText(path) : "";
        actual.Should().Be(expected, "the public API changed; if intended, rerun with SQLITEQUEUE_UPDATE_API=1 and commit the listing");
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Every_public_class_is_sealed_static_or_built_for_extension(string package)
    {
        var open = AssemblyOf(package).GetExportedTypes()
            .Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract && t != typeof(SqliteQueueException))
            .Select(t => t.FullName);

        open.Should().BeEmpty();
    }

    private static Assembly AssemblyOf(string package) => package switch
    {
        "SqliteQueue" => typeof(SqliteJobQueue).Assembly,
        "SqliteQueue.HealthChecks" => typeof(SqliteQueue.HealthChecks.SqliteQueueHealthCheck).Assembly,
        "SqliteQueue.CommandLine" => typeof(SqliteQueue.CommandLine.SqliteQueueCommandLine).Assembly,
        "SqliteQueue.Dashboard" => typeof(SqliteQueue.Dashboard.DashboardOptions).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(package), package, "Not a package of this repository."),
    };

    private static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add($"{Kind(type)} {Name(type)}{Bases(type)}");
            const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var members = type.GetMembers(Flags)
                .Where(m => m is not MethodInfo { IsSpecialName: true })
                .Where(m => !(type.IsEnum && m is FieldInfo { IsSpecialName: true }))
                .Where(m => m.GetCustomAttribute<CompilerGeneratedAttribute>() is null)
                .Select(m => "  " + Member(m))
                .Order(StringComparer.Ordinal);
            lines.AddRange(members);
        }

        return string.Join("\n", lines) + "\n";
    }

    private static string Kind(Type type) =>
        type.IsInterface ? "interface" : type.IsEnum ? "enum" : type.IsValueType ? "struct" :
        type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
        {
            bases.Add(Name(b));
        }

        bases.AddRange(type.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static string Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"ctor({Parameters(c.GetParameters())})",
        MethodInfo m => $"{(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{(m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "")}({Parameters(m.GetParameters())})",
        PropertyInfo p => $"{(p.GetMethod?.IsStatic == true ? "static " : "")}{Name(p.PropertyType)} {p.Name} {{{(p.GetMethod?.IsPublic == true ? " get;" : "")}{(p.SetMethod?.IsPublic == true ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? " init;" : " set;") : "")} }}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        Type t => $"nested {Name(t)}",
        _ => member.ToString()!,
    };

    private static string Parameters(ParameterInfo[] parameters) =>
        string.Join(", ", parameters.Select(p => $"{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsByRef)
        {
            return "ref " + Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        var name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.Namespace + "." + type.Name;
        if (type.IsGenericType)
        {
            name = name[..name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SqliteQueue.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("SqliteQueue.sln not found above the test output.");
    }
}
