from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_accepted_contacts")]

    operations = [
        # The drain's look-up of the stored mail that waits (`inbound_emails_drain`): a handful of rows among
        # every mail ever received.
        migrations.AddIndex(
            model_name="inboundemail",
            index=models.Index(fields=["id"], condition=models.Q(state="received"), name="inbound_email_waiting_idx"),
        ),
    ]
