#include "replaydialog.h"

#include "displayformat.h"
#include "replaycontroller.h"
#include "sessionlistmodel.h"
#include "settings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace podtap {

ReplayDialog::ReplayDialog(DaemonLink *link, SessionListModel *sessions, const QString &sessionId,
                           const QList<qint64> &selectedConnections, QWidget *parent)
    : QDialog(parent)
    , m_controller(new ReplayController(link, this))
    , m_selected(selectedConnections)
    , m_selectedSession(sessionId)
    , m_fromSession(new QRadioButton(QStringLiteral("Stored &session:"), this))
    , m_fromFile(new QRadioButton(QStringLiteral("pcap/pcapng &file:"), this))
    , m_session(new QComboBox(this))
    , m_file(new QLineEdit(this))
    , m_browse(new QPushButton(QStringLiteral("&Browse…"), this))
    , m_speed(new QComboBox(this))
    , m_port(new QSpinBox(this))
    , m_onlySelected(new QCheckBox(this))
    , m_start(new QPushButton(QStringLiteral("&Replay"), this))
    , m_stop(new QPushButton(QStringLiteral("S&top"), this))
    , m_progress(new QLabel(this))
    , m_result(new QLabel(this))
{
    setWindowTitle(QStringLiteral("Replay to a local port"));
    m_session->setObjectName(QStringLiteral("replaySession"));
    m_file->setObjectName(QStringLiteral("replayFile"));
    m_speed->setObjectName(QStringLiteral("replaySpeed"));
    m_port->setObjectName(QStringLiteral("replayPort"));
    m_onlySelected->setObjectName(QStringLiteral("replayOnlySelected"));
    m_start->setObjectName(QStringLiteral("startReplay"));
    m_stop->setObjectName(QStringLiteral("stopReplay"));
    m_progress->setObjectName(QStringLiteral("replayProgress"));
    m_result->setObjectName(QStringLiteral("replayResult"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // Sessions that have ended (a running one is mirrored live instead).
    for (int row = 0; row < sessions->rowCount(); ++row) {
        if (sessions->isRunning(row))
            continue;
        const QJsonObject s = sessions->summaryAt(row);
        const QString id = s.value(QLatin1String("id")).toString();
        m_session->addItem(
                QStringLiteral("#%1 %2").arg(id, s.value(QLatin1String("title")).toString()), id);
    }
    m_speed->addItem(QStringLiteral("As fast as possible"), 0.0);
    m_speed->addItem(QStringLiteral("As captured (1×)"), 1.0);
    m_speed->addItem(QStringLiteral("10× faster"), 10.0);
    m_speed->addItem(QStringLiteral("100× faster"), 100.0);
    m_port->setRange(1, 65535);
    m_port->setPrefix(QStringLiteral("127.0.0.1:"));
    m_port->setValue(Settings::defaultMirrorPort());
    m_file->setPlaceholderText(QStringLiteral("/path/to/capture.pcapng"));
    m_onlySelected->setText(
            QStringLiteral("Only the %1 selected connection(s)").arg(m_selected.size()));
    m_onlySelected->setChecked(!m_selected.isEmpty());
    m_stop->setEnabled(false);

    setSessionSource(sessionId);
    if (m_session->count() == 0)
        m_fromFile->setChecked(true);

    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(m_browse);
    auto *form = new QFormLayout;
    form->addRow(m_fromSession, m_session);
    form->addRow(m_fromFile, fileRow);
    form->addRow(QString(), m_onlySelected);
    form->addRow(QStringLiteral("Spee&d:"), m_speed);
    form->addRow(QStringLiteral("To local &port:"), m_port);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_start, QDialogButtonBox::ActionRole);
    buttons->addButton(m_stop, QDialogButtonBox::ActionRole);
    m_start->setDefault(true);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(QStringLiteral("Each captured connection is opened again to a "
                                            "server on this machine and its requests are sent; "
                                            "the answers are read and counted."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_result);
    layout->addWidget(buttons);

    connect(m_fromSession, &QRadioButton::toggled, this, &ReplayDialog::updateState);
    connect(m_session, &QComboBox::currentIndexChanged, this, &ReplayDialog::updateState);
    connect(m_browse, &QPushButton::clicked, this, &ReplayDialog::browse);
    connect(m_start, &QPushButton::clicked, this, &ReplayDialog::startReplay);
    connect(m_stop, &QPushButton::clicked, this, &ReplayDialog::stopReplay);
    connect(m_controller, &ReplayController::started, this, [this](const QString &id) {
        m_progress->setText(QStringLiteral("Replay %1 running…").arg(id));
    });
    connect(m_controller, &ReplayController::progress, this,
            [this](qint64 packets, qint64 connections, qint64 bytes) {
                m_progress->setText(QStringLiteral("%1 packets, %2 connections, %3 sent")
                                            .arg(DisplayFormat::count(packets),
                                                 DisplayFormat::count(connections),
                                                 DisplayFormat::bytes(bytes)));
            });
    connect(m_controller, &ReplayController::finished, this, &ReplayDialog::onFinished);
    connect(m_controller, &ReplayController::failed, this, [this](const QString &why) {
        m_result->setText(QStringLiteral("Replay failed: ") + why);
        updateState();
    });
    updateState();
}

void ReplayDialog::setSessionSource(const QString &id)
{
    const int index = m_session->findData(id);
    if (index >= 0) {
        m_session->setCurrentIndex(index);
        m_fromSession->setChecked(true);
    }
    updateState();
}

void ReplayDialog::setFileSource(const QString &path)
{
    m_file->setText(path);
    m_fromFile->setChecked(true);
    updateState();
}

void ReplayDialog::setPort(int port)
{
    m_port->setValue(port);
}

void ReplayDialog::setSpeed(double speed)
{
    const int index = m_speed->findData(speed);
    if (index >= 0)
        m_speed->setCurrentIndex(index);
}

void ReplayDialog::setOnlySelected(bool only)
{
    m_onlySelected->setChecked(only);
}

QString ReplayDialog::resultText() const
{
    return m_result->text();
}

QString ReplayDialog::progressText() const
{
    return m_progress->text();
}

void ReplayDialog::browse()
{
    const QString path = QFileDialog::getOpenFileName(
            this, QStringLiteral("Replay a capture file"), QDir::homePath(),
            QStringLiteral("Captures (*.pcap *.pcapng *.cap);;All files (*)"));
    if (!path.isEmpty())
        setFileSource(path);
}

void ReplayDialog::updateState()
{
    const bool running = m_controller->isRunning();
    const bool fromSession = m_fromSession->isChecked();
    m_session->setEnabled(!running && fromSession);
    m_file->setEnabled(!running && !fromSession);
    m_browse->setEnabled(!running && !fromSession);
    // The selection belongs to the session it was made in.
    m_onlySelected->setEnabled(!running && fromSession && !m_selected.isEmpty()
                               && m_session->currentData().toString() == m_selectedSession);
    m_speed->setEnabled(!running);
    m_port->setEnabled(!running);
    m_start->setEnabled(!running
                        && (fromSession ? m_session->currentIndex() >= 0
                                        : !m_file->text().trimmed().isEmpty()));
    m_stop->setEnabled(running);
}

void ReplayDialog::startReplay()
{
    ReplayController::Request r;
    if (m_fromSession->isChecked()) {
        r.sessionId = m_session->currentData().toString();
        if (m_onlySelected->isEnabled() && m_onlySelected->isChecked())
            r.connections = m_selected;
    } else {
        r.file = m_file->text().trimmed();
        if (!QDir::isAbsolutePath(r.file) || !QFileInfo::exists(r.file)) {
            m_result->setText(QStringLiteral("Replay failed: '%1' is not a file (give its full "
                                             "path, or Browse)")
                                      .arg(r.file));
            return;
        }
    }
    r.port = m_port->value();
    r.speed = m_speed->currentData().toDouble();
    m_result->clear();
    m_progress->setText(QStringLiteral("Starting the replay…"));
    m_controller->start(r);
    updateState();
}

void ReplayDialog::done(int result)
{
    if (m_controller->isRunning())
        m_controller->stop();
    QDialog::done(result);
}

void ReplayDialog::stopReplay()
{
    m_controller->stop();
}

void ReplayDialog::onFinished(const QJsonObject &d)
{
    auto n = [&d](const char *key) {
        return d.value(QLatin1String(key)).toInteger();
    };
    QString text = d.value(QLatin1String("ok")).toBool() ? QStringLiteral("Replay done: ")
                                                         : QStringLiteral("Replay ended: ");
    text += QStringLiteral("%1 connections, %2 completed, %3 local errors, %4 skipped "
                           "mid-stream, %5 with gaps, %6 dropped; %7 sent, %8 received.")
                    .arg(DisplayFormat::count(n("connections")),
                         DisplayFormat::count(n("completed")),
                         DisplayFormat::count(n("localErrors")),
                         DisplayFormat::count(n("skippedMidstream")),
                         DisplayFormat::count(n("gaps")), DisplayFormat::count(n("dropped")),
                         DisplayFormat::bytes(n("bytesSent")),
                         DisplayFormat::bytes(n("responseBytes")));
    const QString message = d.value(QLatin1String("message")).toString();
    if (!message.isEmpty())
        text += QLatin1Char(' ') + message;
    m_result->setText(text);
    m_progress->clear();
    updateState();
}

} // namespace podtap
